"""Public media hosting: Meta (Instagram, Threads) fetches media from a public URL, so campaigner
puts each file in a folder the union's web server serves or an S3-compatible bucket, under an
unguessable name, just before it creates the container, and removes it after ``keep_days``.
"""
from campaigner.media_host.fetch import Fetched, FetchFailed, fetch_public
from campaigner.media_host.host import CleanupReport, MediaHost
from campaigner.media_host.stores import StoreError

__all__ = ["CleanupReport", "Fetched", "FetchFailed", "MediaHost", "StoreError", "fetch_public"]
