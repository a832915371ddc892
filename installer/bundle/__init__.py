"""The bundle, as the installer sees it: open, verify, read files and images, extract safely."""

from installer.bundle.base import BaseFiles, DigestBase, FolderBase, describe_base
from installer.bundle.errors import BundleError
from installer.bundle.extract import safe_extract
from installer.bundle.images import Blob, ImageContent
from installer.bundle.index import FORMAT, BaseRef, Index, IndexEntry
from installer.bundle.reader import BlobLocation, Bundle, ImageInfo

__all__ = ["FORMAT", "BaseFiles", "BaseRef", "Blob", "BlobLocation", "Bundle", "BundleError", "DigestBase",
           "FolderBase", "ImageContent", "ImageInfo", "Index", "IndexEntry", "describe_base", "safe_extract"]
