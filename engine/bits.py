"""The positions of the bits set in an int: the rules of a fired mask, the actions of a set of actions."""

from __future__ import annotations

from typing import Final

_BYTE_BITS: Final = tuple(tuple(i for i in range(8) if byte >> i & 1) for byte in range(256))
# the bits of a byte at each byte position of a mask, as absolute positions: built on first use
_POSITIONED: tuple[tuple[tuple[int, ...], ...], ...] = ()


def set_bits(mask: int) -> list[int]:
    """The positions of the bits set in `mask`, lowest first."""
    if mask < 1 << 64:
        found = []
        while mask:
            low = mask & -mask
            found.append(low.bit_length() - 1)
            mask ^= low
        return found
    # a wide mask: a byte at a time, each byte's positions looked up, as shifting a big number costs more
    global _POSITIONED
    size = (mask.bit_length() + 7) // 8
    positioned = _POSITIONED
    if len(positioned) < size:  # rebuilt whole and swapped in at once: threads may race, harmlessly
        positioned = tuple(tuple(tuple(8 * k + i for i in bits) for bits in _BYTE_BITS) for k in range(size))
        _POSITIONED = positioned
    found = []
    for byte, positions in zip(mask.to_bytes(size, "little"), positioned, strict=False):
        if byte:
            found += positions[byte]
    return found
