"""HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, section 10.1.2), the draw's only source of randomness.

It is deterministic: the same seed (entropy input), nonce and personalisation string give the same
byte stream on any machine, which is what lets anyone re-run a draw from its revealed seed. Without
the seed the stream cannot be predicted (HMAC-SHA-256 is a PRF), so nobody can steer a draw whose
seed hash was published before the draw.

- instantiate: K = 0x00..00, V = 0x01..01, update(entropy || nonce || personalisation)
- generate(n): V = HMAC(K, V) repeated, the Vs concatenated and cut to n bytes; then update() with no input
- requests are at most 2^16 bytes each (the standard allows 2^19 bits); reseeding is never needed for
  the sizes drawn here (the limit is 2^48 requests).

`DrbgStream` reads that stream as big-endian 64-bit integers; `below(m)` returns an integer in [0, m)
without modulo bias by rejecting values at or above the largest multiple of m under 2^64.
"""

from __future__ import annotations

import hmac
import struct

import numpy as np

_OUTLEN = 32
MAX_REQUEST = 65536
_U64 = struct.Struct(">Q")


class HmacDrbg:
    """HMAC_DRBG (SHA-256) as specified in NIST SP 800-90A."""

    def __init__(self, entropy: bytes, nonce: bytes = b"", personalization: bytes = b"") -> None:
        if len(entropy) < 32:
            raise ValueError("entropy input must be at least 256 bits")
        self._k = b"\x00" * _OUTLEN
        self._v = b"\x01" * _OUTLEN
        self._update(entropy + nonce + personalization)
        self.requests = 0

    def _update(self, provided: bytes = b"") -> None:
        self._k = hmac.digest(self._k, self._v + b"\x00" + provided, "sha256")
        self._v = hmac.digest(self._k, self._v, "sha256")
        if provided:
            self._k = hmac.digest(self._k, self._v + b"\x01" + provided, "sha256")
            self._v = hmac.digest(self._k, self._v, "sha256")

    def generate(self, n: int) -> bytes:
        """The next `n` bytes (n <= 65536) of the stream."""
        if not 0 < n <= MAX_REQUEST:
            raise ValueError(f"a request is 1..{MAX_REQUEST} bytes")
        k, v = self._k, self._v
        out = bytearray()
        while len(out) < n:
            v = hmac.digest(k, v, "sha256")
            out += v
        self._k, self._v = k, v
        self._update()
        self.requests += 1
        return bytes(out[:n])


class DrbgStream:
    """Unsigned 64-bit big-endian integers read in order from a DRBG (requests of `chunk` bytes)."""

    def __init__(self, drbg: HmacDrbg, chunk: int = 8192) -> None:
        if chunk % 8 or not 0 < chunk <= MAX_REQUEST:
            raise ValueError("chunk must be a multiple of 8 up to 65536")
        self._drbg = drbg
        self._chunk = chunk
        self._buf = b""
        self._pos = 0

    def _refill(self) -> None:
        self._buf = self._buf[self._pos :] + self._drbg.generate(self._chunk)
        self._pos = 0

    def u64(self) -> int:
        if self._pos + 8 > len(self._buf):
            self._refill()
        (value,) = _U64.unpack_from(self._buf, self._pos)
        self._pos += 8
        return int(value)

    def u64_array(self, n: int) -> np.ndarray:
        """The next `n` values of the stream (the same values `n` calls of u64() would give)."""
        missing = self._pos + 8 * n - len(self._buf)
        if missing > 0:
            requests = -(-missing // self._chunk)
            self._buf = b"".join([self._buf[self._pos :], *(self._drbg.generate(self._chunk) for _ in range(requests))])
            self._pos = 0
        values = np.frombuffer(self._buf, dtype=">u8", count=n, offset=self._pos).astype(np.uint64)
        self._pos += 8 * n
        return values

    def below(self, m: int) -> int:
        """A uniform integer in [0, m) (rejection sampling, no modulo bias)."""
        if m <= 0:
            raise ValueError("m must be positive")
        limit = (1 << 64) - ((1 << 64) % m)
        while True:
            value = self.u64()
            if value < limit:
                return value % m
