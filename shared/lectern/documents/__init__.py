"""Documents: presigned uploads, the completion check, downloads and deletion."""
