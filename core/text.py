"""Wording shared by the messages of every domain."""


def plural(n: int, one: str, many: str) -> str:
    """"1 fila", "2 filas", "1,234 filas": the count with its noun in agreement."""
    return f"{n:,} {one if n == 1 else many}"
