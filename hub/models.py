"""The hub's tables, as SQLAlchemy 2 declarative models. Alembic (hub/migrations) creates and
changes them; the models never create tables themselves, so a database is always at a known
migration."""

from __future__ import annotations

import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Fixed constraint names, so migrations can name what they drop on SQLite and PostgreSQL alike.
NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def aware(moment: datetime.datetime) -> datetime.datetime:
    """`moment` as UTC: SQLite hands back the naive UTC time it was given."""
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A vendor user who signs in to the catalog pages."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(10), default="viewer")  # viewer, operator, admin (hub/roles.py)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebSession(Base):
    """A signed-in browser: the cookie holds a secret whose sha256 is kept here, so every hub
    process sharing the database knows every session and a sign-out ends it everywhere."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token for the API (`publish`, or `enroll` for sites). Shown once when made; only
    the sha256 of its secret part is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    uses_left: Mapped[int | None] = mapped_column(Integer)  # enroll tokens: sites it may still enroll (None: any)
    channel: Mapped[str | None] = mapped_column(String(100))  # enroll tokens: the channel its sites follow


class Blob(Base):
    """A file of some bundle, stored once by the sha256 of its stored bytes (verified on upload)."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Application(Base):
    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    releases: Mapped[list[Release]] = relationship(back_populates="application",
                                                   order_by="Release.created_at.desc()")


class Release(Base):
    """One published version of an application: its index.json and signature.json byte for byte.
    Immutable but for `notes` and `required`."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("application_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    version: Mapped[str] = mapped_column(String(200))
    index_json: Mapped[bytes] = mapped_column(LargeBinary)
    index_sha256: Mapped[str] = mapped_column(String(64))
    signature_json: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    bundle_sha256: Mapped[str | None] = mapped_column(String(64))  # the full tarball's, hashed once for install links
    notes: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    application: Mapped[Application] = relationship(back_populates="releases")
    promotions: Mapped[list[Promotion]] = relationship(back_populates="release")


class Channel(Base):
    """A line of releases a site follows: `stable` and `beta` exist from the first migration,
    others are made by promoting a release to them."""

    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    promotions: Mapped[list[Promotion]] = relationship(back_populates="channel",
                                                       order_by="Promotion.promoted_at.desc()")


class Promotion(Base):
    """A release put on a channel; the newest promotion on a channel is its current release."""

    __tablename__ = "promotions"
    __table_args__ = (UniqueConstraint("channel_id", "release_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))
    promoted_by: Mapped[str] = mapped_column(String(100))
    promoted_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    channel: Mapped[Channel] = relationship(back_populates="promotions")
    release: Mapped[Release] = relationship(back_populates="promotions")


class Differential(Base):
    """A release's differential bundle against an earlier release of the same application: the
    index `build.py --since` would write, made once on first download and kept, and the
    vendor's signature over it once the publisher sends one (the hub cannot sign for the
    vendor). The bundle's bytes are streamed from the blobs like a full bundle's."""

    __tablename__ = "differentials"
    __table_args__ = (UniqueConstraint("release_id", "base_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))
    base_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))
    index_json: Mapped[bytes] = mapped_column(LargeBinary)
    index_sha256: Mapped[str] = mapped_column(String(64))
    signature_json: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)  # the bundle tarball's length
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    release: Mapped[Release] = relationship(foreign_keys=[release_id])
    base: Mapped[Release] = relationship(foreign_keys=[base_id])


class Site(Base):
    """An installed site, known by its Ed25519 key (its id is derived from it,
    installer/hub_link/envelope.py). `state` is the last one derived (hub/site_state.py); the
    last check-in's documents are kept here, each report file's sequence number in check_ins."""

    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    hostname: Mapped[str] = mapped_column(String(255), default="")
    application: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(100))
    version: Mapped[str | None] = mapped_column(String(200))
    index_sha256: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10))  # online (check-ins) | file (report files carried out)
    condition: Mapped[str | None] = mapped_column(String(20))  # the status document's health word
    interval_s: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_digest: Mapped[str | None] = mapped_column(String(64))  # of the last document taken, to know it sent again
    last_seen: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))  # the hub's clock
    site_clock: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    clock_skew_s: Mapped[int | None] = mapped_column(Integer)
    status_json: Mapped[str | None] = mapped_column(Text)
    inventory_json: Mapped[str | None] = mapped_column(Text)
    inventory_sha256: Mapped[str | None] = mapped_column(String(64))  # of inventory_json (envelope.py inventory_digest)
    alerts_json: Mapped[str | None] = mapped_column(Text)
    enrolled_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disconnected_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    events: Mapped[list[SiteEvent]] = relationship(back_populates="site", order_by="SiteEvent.id.desc()",
                                                   cascade="all, delete-orphan")


class CheckIn(Base):
    """A report file taken from a site (hub/check_ins.py): the same file uploaded again, even after
    later ones, is known by its digest, and two uploads of it at once are told apart by the unique
    (site, seq). Check-ins keep no row here: the site's last_seq and last_digest do their part."""

    __tablename__ = "check_ins"
    __table_args__ = (UniqueConstraint("site_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))  # online | file
    digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    site_clock: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))


class SiteEvent(Base):
    """A change on a site's page: its state, version, health, clock; or an event its report file carried."""

    __tablename__ = "site_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(10))  # hub (seen by the hub) | site (told by a report file)
    message: Mapped[str] = mapped_column(Text)
    site: Mapped[Site] = relationship(back_populates="events")


class SupportSession(Base):
    """A remote-support session a site opened: the hub-local loopback ports it may forward
    (`ports_json`: {"panel": 40123, ...}) until `expires_at`, or until closed."""

    __tablename__ = "support_sessions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    allow_json: Mapped[str] = mapped_column(Text)
    ports_json: Mapped[str] = mapped_column(Text)
    kube_ca: Mapped[str | None] = mapped_column(Text, nullable=True)
    host_keys_json: Mapped[str | None] = mapped_column(Text, nullable=True)  # {"ssh:NODE": "ssh-ed25519 AAAA…"}
    opened_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class PanelLease(Base):
    """A panel port (an origin of its own, `python -m hub serve --panel-ports`) lent to one site's
    open support session, so every hub process on the database sends that site's panel to it."""

    __tablename__ = "panel_leases"
    port: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("support_sessions.id", ondelete="CASCADE"))
    leased_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PanelPass(Base):
    """A way into a panel port for one hub user: a single-use `ticket` (made by "Open control
    panel", redeemed on the panel port within a minute) or the `grant` its redemption gives, kept
    in a cookie of that port. The row keeps only the sha256 of the random secret."""

    __tablename__ = "panel_passes"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # ticket | grant
    user_name: Mapped[str] = mapped_column(String(100))
    site_id: Mapped[str] = mapped_column(String(40))
    session_id: Mapped[str] = mapped_column(ForeignKey("support_sessions.id", ondelete="CASCADE"), index=True)
    port: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEvent(Base):
    """Who did what through remote support, and how many bytes went each way."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    site_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text)
    bytes_in: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bytes_out: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class InstallLink(Base):
    """An online install from a link (`/install/<token>`): the enroll token that is the link's
    secret (its row keeps only the hash), what it installs (one release, or the newest of an
    application on a channel, decided when the script is fetched) and how (`./install` arguments)."""

    __tablename__ = "install_links"
    token_id: Mapped[str] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"))  # None: newest on `channel`
    channel: Mapped[str] = mapped_column(String(100))  # the channel the site follows (and, without a release, installs from)
    mode: Mapped[str] = mapped_column(String(10))  # cli | wizard
    install_args: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of ./install arguments
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    token: Mapped[ApiToken] = relationship()
    application: Mapped[Application] = relationship()
    release: Mapped[Release | None] = relationship()
