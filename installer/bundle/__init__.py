"""The bundle, as the installer sees it: open, verify, read files and images, extract safely."""

from installer.bundle.errors import BundleError
from installer.bundle.extract import safe_extract
from installer.bundle.images import Blob, ImageContent
from installer.bundle.index import FORMAT, Index, IndexEntry
from installer.bundle.reader import BlobLocation, Bundle, ImageInfo

__all__ = ["FORMAT", "Blob", "BlobLocation", "Bundle", "BundleError", "ImageContent", "ImageInfo", "Index",
           "IndexEntry", "safe_extract"]
