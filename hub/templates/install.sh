#!/bin/sh
# Airlift: online install of {{ app }} {{ version }} from the hub at {{ hub_url }}.
#
# Made by the hub for one install link. It carries no secret but the link's own enrollment token,
# which the site uses once, at the end, to enroll with the hub; it is never written to disk here.
#
# What it does, as root: checks the free disk, downloads the bundle (resumed where a cut left it),
# checks the tarball's sha256, unpacks it under DIR/{{ app }}-{{ version }} (regular files and
# folders only), runs ./install verify (every file against the index, and the vendor's signature),
# runs ./install{% if mode == "cli" %} --cli{% endif %}{% for a in install_args %} {{ a|sh }}{% endfor %}, then ./install hub connect{% if mode == "wizard" %} once the
# operator stops the wizard (Ctrl-C) after the install{% endif %}.
#
# Options (curl ... | sh -s -- OPTIONS):
#   --dir DIR     unpack under DIR instead of /opt/airlift
#   anything else goes to ./install as given, after the link's own arguments; --root and
#   --state-dir also go to ./install hub connect. Tests use this to install under a temporary
#   root on free ports (--root R --state-dir S --skip-check process-k3s ...).
set -eu

HUB_URL={{ hub_url|sh }}
HUB_FINGERPRINT={{ fingerprint|sh }}
LINK_TOKEN={{ token|sh }}
APP={{ app|sh }}
VERSION={{ version|sh }}
BUNDLE_SIZE={{ size }}
BUNDLE_SHA256={{ bundle_sha256|sh }}
{% if cert_pem %}HUB_CERT={{ cert_pem|sh }}
{% endif %}
say() { printf 'airlift: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

hub_get() {  # hub_get PATH CURL-OPTIONS...: the URL goes in on stdin, so the token is in no process list
  path=$1; shift
  if [ -n "$CACERT" ]; then set -- --cacert "$CACERT" "$@"; fi
  printf 'url = "%s%s"\n' "$HUB_URL" "$path" | curl -K - --fail -L --retry 3 "$@"
}

check_host() {
  [ "$(id -u)" = 0 ] || die "run this as root: the installer writes system files and starts services (… | sudo sh)"
  for tool in curl tar sha256sum df awk; do
    command -v "$tool" >/dev/null 2>&1 || die "this host has no $tool; install it and run the command again"
  done
  mkdir -p "$DIR" || die "cannot make the folder $DIR; choose another with --dir DIR"
  free_kb=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
  need_kb=$(( BUNDLE_SIZE / 1024 * 2 + 1048576 ))
  [ "$free_kb" -ge "$need_kb" ] || die "$DIR has $(( free_kb / 1024 )) MB free; the bundle needs $(( need_kb / 1024 )) MB (tarball, unpacked copy and 1 GB to spare). Free some space or choose another folder with --dir DIR"
}

download() {
  tarball="$DIR/$APP-$VERSION.tar"
  have=$(stat -c %s "$tarball" 2>/dev/null || echo 0)
  [ "$have" -le "$BUNDLE_SIZE" ] || rm -f "$tarball"
  tries=0
  while [ "$(stat -c %s "$tarball" 2>/dev/null || echo 0)" -lt "$BUNDLE_SIZE" ]; do
    tries=$(( tries + 1 )); code=
    [ "$tries" -le 20 ] || die "the download of $APP $VERSION stopped 20 times; run the command again later to go on from where it stopped"
    say "downloading $APP $VERSION ($(( BUNDLE_SIZE / 1048576 )) MB) into $tarball"
    code=$(hub_get "/install/$LINK_TOKEN/$VERSION/bundle.tar" -C - --progress-bar -o "$tarball" -w '%{http_code}') || sleep 2
    case $code in
      404|410) die "the hub refused the download (HTTP $code): the link expired or was used up meanwhile; ask the vendor for a new one" ;;
    esac
  done
  say "checking the tarball's sha256"
  got=$(sha256sum "$tarball" | awk '{ print $1 }')
  if [ "$got" != "$BUNDLE_SHA256" ]; then
    rm -f "$tarball"
    die "the downloaded bundle is not the one the hub named (sha256 $got, not $BUNDLE_SHA256); it was removed: run the command again"
  fi
}

unpack() {
  bundle="$DIR/$APP-$VERSION"
  if [ -e "$bundle" ]; then
    say "$bundle is there already: verifying it instead of unpacking again"
    return
  fi
  bad=$(tar -tvf "$tarball" | awk '$1 !~ /^[-d]/' | head -n 1)
  [ -z "$bad" ] || die "the bundle holds something other than files and folders ($bad); not unpacked"
  bad=$(tar -tf "$tarball" | awk -v top="$APP-$VERSION" '$0 != top && $0 != top "/" && index($0, top "/") != 1 || $0 ~ /(^|\/)\.\.(\/|$)/' | head -n 1)
  [ -z "$bad" ] || die "the bundle holds a path outside $APP-$VERSION/ ($bad); not unpacked"
  say "unpacking into $bundle"
  tar -xf "$tarball" -C "$DIR" --no-same-owner --no-same-permissions --no-overwrite-dir
}

main() {
  DIR=/opt/airlift
  CACERT=
  LOCATION=
  count=$#
  while [ "$count" -gt 0 ]; do
    arg=$1; shift; count=$(( count - 1 ))
    case $arg in
      --dir) [ "$count" -gt 0 ] || die "--dir needs a folder"; DIR=$1; shift; count=$(( count - 1 )); continue ;;
      --dir=*) DIR=${arg#--dir=}; continue ;;
      --root|--state-dir) [ "$count" -gt 0 ] || die "$arg needs a folder"
        LOCATION="$LOCATION $arg $1"; set -- "$@" "$arg" "$1"; shift; count=$(( count - 1 )); continue ;;
      --root=*|--state-dir=*) LOCATION="$LOCATION $arg" ;;
    esac
    set -- "$@" "$arg"
  done
  case $DIR in /*) ;; *) DIR="$(pwd)/$DIR" ;; esac
  check_host
{% if cert_pem %}  CACERT="$DIR/airlift-hub.pem"  # the hub's self-signed certificate: the only one curl trusts here
  printf '%s\n' "$HUB_CERT" > "$CACERT"
{% endif %}
  download
  unpack
  cd "$bundle"
  ./install verify || die "$bundle does not verify (above); remove it and run the command again"
  input=/dev/null
  if (: </dev/tty) 2>/dev/null; then input=/dev/tty; fi
{% if mode == "wizard" %}  say "starting the wizard: install in the browser, then stop the wizard with Ctrl-C and this site enrolls"
  trap 'say "the wizard stopped"' INT
  ./install{% for a in install_args %} {{ a|sh }}{% endfor %} "$@" <"$input" || true
  trap - INT
{% else %}  say "installing $APP $VERSION"
  ./install --cli{% for a in install_args %} {{ a|sh }}{% endfor %} "$@" <"$input" || die "the install did not finish (above); once the cause is fixed, run the command again or ./install --resume in $bundle"
{% endif %}  say "enrolling this site with the hub at $HUB_URL"
  # shellcheck disable=SC2086  # LOCATION holds the --root/--state-dir words given above
  AIRLIFT_HUB_TOKEN=$LINK_TOKEN ./install hub connect "$HUB_URL" --fingerprint "$HUB_FINGERPRINT" $LOCATION \
    || die "this site is not enrolled with the hub (above); once it is installed, ask the vendor for an enroll token and run ./install hub connect $HUB_URL --token T --fingerprint $HUB_FINGERPRINT in $bundle"
  say "done: $APP $VERSION is installed from $bundle and enrolled with the hub"
}

main "$@"
