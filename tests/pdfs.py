"""Hand-built PDFs for the ingest limits: small files whose content streams unpack to far
more than their size (compression bombs), and page trees that lie about their size."""

from __future__ import annotations

import zlib

LINE = b"(The heart pumps blood through the body every second of the day.) Tj T*\n"


def text_stream(lines: int, line: bytes = LINE) -> bytes:
    """A page's content stream showing ``lines`` lines of text in Helvetica."""
    return b"BT /F1 10 Tf 12 TL 72 720 Td\n" + line * lines + b"ET\n"


def pdf_with_streams(streams: list[bytes], *, declared_count: int | None = None) -> bytes:
    """A valid PDF with one page per content stream, each FlateDecode-compressed at level
    9. ``declared_count`` is the page tree's /Count (the true count unless given)."""
    count = len(streams) if declared_count is None else declared_count
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(streams)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, stream in enumerate(streams):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /Font << /F1 3 0 R >> >> /Contents " + f"{5 + 2 * i} 0 R >>".encode()
        )
        packed = zlib.compress(stream, 9)
        objects.append(
            f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode()
            + packed
            + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def bomb(unpacked_bytes: int = 10_000_000) -> bytes:
    """One page whose content stream unpacks to about ``unpacked_bytes`` of text showing:
    ~37 KB on disk for the default 10 MB, which pypdf alone takes minutes to read."""
    return pdf_with_streams([text_stream(unpacked_bytes // len(LINE))])
