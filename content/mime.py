"""The media types campaigner knows (MIME names), shared by the platform records and the file checks."""

JPEG, PNG, GIF, WEBP, MP4 = "image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"
#: Recognised so a refusal can say what the file is; QuickTime (MOV) video is taken only by Instagram and Threads.
HEIC, AVIF, QUICKTIME = "image/heic", "image/avif", "video/quicktime"

MB = 1024 * 1024
