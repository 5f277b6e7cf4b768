"""Molecules as SMILES strings (seed 000, §5.3.1): a grammar, random molecules, a validity check.

The notes train a sequence generator on SMILES strings of the MOSES set; labcoat ships no
download, so it writes its own molecules in a documented subset of SMILES:

    smiles   ::= chain
    chain    ::= unit (bond? unit)*
    unit     ::= atom ring* branch*
    branch   ::= "(" bond? chain ")"
    ring     ::= bond? digit
    bond     ::= "="                       (a single bond is written as nothing)
    atom     ::= "C" | "N" | "O" | "F" | "Cl"
    digit    ::= "1" | ... | "9"

A string is **valid** when it parses by this grammar and the molecule it describes is
chemically sound under these rules: every ring-closure digit is opened and closed once (a
digit may be reused after it closes), the two ends of a ring bond give the same bond symbol
if both give one, a ring bond joins two different atoms that are not already bonded, and no
atom has more bonds (counted by order: single 1, double 2) than its valence (C 4, N 3, O 2,
F 1, Cl 1; implicit hydrogens fill the rest). :func:`smiles_error` says which rule a string
breaks.

:func:`random_molecule` draws a molecule graph (a random tree of 3-12 atoms, some double
bonds, some ring closures making 5- and 6-membered rings) and :func:`write_smiles` writes it
depth first; :func:`smiles_dataset` draws a reproducible set of distinct strings from a seed.
:class:`SmilesVocabulary` maps strings to fixed-length token tensors (an end token, padded
with end tokens) for any autoregressive token model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from labcoat.classic._checks import check_int
from labcoat.models._random import numpy_generator

__all__ = [
    "VALENCE",
    "Molecule",
    "SmilesVocabulary",
    "is_valid_smiles",
    "parse_smiles",
    "random_molecule",
    "smiles_dataset",
    "smiles_error",
    "tokenize",
    "write_smiles",
]

VALENCE = {"C": 4, "N": 3, "O": 2, "F": 1, "Cl": 1}
"""The valence of every atom of the grammar."""

ATOM_WEIGHTS = {"C": 0.62, "N": 0.14, "O": 0.14, "F": 0.05, "Cl": 0.05}
"""How often :func:`random_molecule` draws each atom."""

_TOKEN = re.compile(r"Cl|[CNOF=()1-9]")


@dataclass
class Molecule:
    """A molecular graph: atom symbols and bonds ``{(i, j): order}`` with i < j."""

    atoms: list[str] = field(default_factory=list)
    bonds: dict[tuple[int, int], int] = field(default_factory=dict)

    def used_valence(self, atom: int) -> int:
        """Sum of the orders of the bonds of ``atom``."""
        return sum(order for pair, order in self.bonds.items() if atom in pair)

    def free_valence(self, atom: int) -> int:
        """Valence left for more bonds (and implicit hydrogens)."""
        return VALENCE[self.atoms[atom]] - self.used_valence(atom)

    def bond(self, i: int, j: int, order: int) -> None:
        """Add the bond i-j (i ≠ j, not yet bonded)."""
        self.bonds[(min(i, j), max(i, j))] = order

    def neighbours(self, atom: int) -> list[int]:
        """The atoms bonded to ``atom``, in increasing order."""
        return sorted(j if i == atom else i for i, j in self.bonds if atom in (i, j))


def tokenize(smiles: str) -> list[str] | None:
    """The grammar's tokens of ``smiles`` ("Cl" is one token), or None for a foreign character."""
    tokens = _TOKEN.findall(smiles)
    return tokens if "".join(tokens) == smiles else None


_AFTER = {
    "atom": ("start", "atom", "ring", "bond", "ring-bond", "open", "close"),
    "bond": ("atom", "ring", "open", "close"),
    "ring": ("atom", "ring", "ring-bond"),
    "open": ("atom", "ring", "close"),
    "close": ("atom", "ring", "close"),
}
"""The token kinds each kind may follow ("ring-bond": a bond symbol right after an atom or
a ring digit, which may precede a ring digit)."""

_WHY = {
    "bond": "a bond symbol with no atom before it, or after another bond",
    "ring": "a ring digit that does not follow an atom",
    "open": "a branch that does not follow an atom",
    "close": "an empty branch, or a branch ending in a bond",
}


def _kind(token: str) -> str:
    if token in VALENCE:
        return "atom"
    if token.isdigit():
        return "ring"
    return {"=": "bond", "(": "open", ")": "close"}[token]


class _Parser:
    """One left-to-right pass building the molecule; each method returns the broken rule."""

    def __init__(self) -> None:
        self.molecule = Molecule()
        self.previous = -1  # the atom the next bond starts from
        self.pending: int | None = None  # the order of a written bond symbol
        self.last = "start"  # the kind of the last token ("ring-bond" as in _AFTER)
        self.branches: list[int] = []
        self.rings: dict[str, tuple[int, int | None]] = {}

    def step(self, token: str) -> str | None:
        kind = _kind(token)
        if self.last not in _AFTER[kind]:
            return _WHY[kind]
        error = None
        if kind == "atom":
            error = self.atom(token)
        elif kind == "bond":
            self.pending = 2
            kind = "ring-bond" if self.last in ("atom", "ring") else "bond"
        elif kind == "ring":
            error = self.ring(token)
        elif kind == "open":
            self.branches.append(self.previous)
        elif not self.branches:
            return "a closing parenthesis without an opening one"
        else:
            self.previous = self.branches.pop()
        self.last = kind
        return error

    def connect(self, i: int, j: int, order: int) -> str | None:
        if i == j:
            return "a ring bond closes on its own atom"
        if (min(i, j), max(i, j)) in self.molecule.bonds:
            return "a ring bond joins two atoms already bonded"
        self.molecule.bond(i, j, order)
        for atom in (i, j):
            if self.molecule.free_valence(atom) < 0:
                symbol = self.molecule.atoms[atom]
                return f"atom {atom} ({symbol}) exceeds its valence {VALENCE[symbol]}"
        return None

    def atom(self, symbol: str) -> str | None:
        self.molecule.atoms.append(symbol)
        new, before = len(self.molecule.atoms) - 1, self.previous
        order, self.pending, self.previous = self.pending or 1, None, new
        return None if before < 0 else self.connect(before, new, order)

    def ring(self, digit: str) -> str | None:
        order, self.pending = self.pending, None
        if digit not in self.rings:
            self.rings[digit] = (self.previous, order)
            return None
        start, first = self.rings.pop(digit)
        if first is not None and order is not None and first != order:
            return f"the two ends of ring bond {digit} give different bonds"
        return self.connect(start, self.previous, first or order or 1)

    def finish(self) -> str | None:
        if not self.molecule.atoms:
            return "no atom"
        if self.branches:
            return "an unclosed branch"
        if self.rings:
            return f"unclosed ring digit(s) {''.join(sorted(self.rings))}"
        if self.pending is not None:
            return "a bond symbol at the end"
        return None


def _parse(smiles: str) -> tuple[Molecule | None, str | None]:
    tokens = tokenize(smiles)
    if tokens is None:
        return None, "a character outside the grammar (C N O F Cl = ( ) 1-9)"
    parser = _Parser()
    for token in tokens:
        error = parser.step(token)
        if error is not None:
            return None, error
    error = parser.finish()
    return (None, error) if error else (parser.molecule, None)


def smiles_error(smiles: str) -> str | None:
    """Why ``smiles`` is not valid under the module's grammar and rules; None if it is."""
    if not isinstance(smiles, str):
        raise TypeError(f"smiles must be a str, got {type(smiles).__name__}")
    return _parse(smiles)[1]


def is_valid_smiles(smiles: str) -> bool:
    """Whether ``smiles`` is valid: it parses and every rule of the module docstring holds."""
    return smiles_error(smiles) is None


def parse_smiles(smiles: str) -> Molecule:
    """The molecule a valid string describes (atoms in the order written).

    Raises:
        ValueError: ``smiles`` is not valid, naming the broken rule.
    """
    molecule, error = _parse(smiles)
    if molecule is None:
        raise ValueError(f"smiles {smiles!r} is not valid: {error}")
    return molecule


def _path_lengths(molecule: Molecule, start: int) -> dict[int, int]:
    """Bond counts of the shortest paths from ``start`` (breadth first)."""
    lengths, frontier = {start: 0}, [start]
    while frontier:
        nxt = []
        for atom in frontier:
            for other in molecule.neighbours(atom):
                if other not in lengths:
                    lengths[other] = lengths[atom] + 1
                    nxt.append(other)
        frontier = nxt
    return lengths


def random_molecule(rng: np.random.Generator, max_atoms: int = 12) -> Molecule:
    """A random molecule: a tree of 3..max_atoms atoms, double bonds, 5/6-membered rings.

    Atom i > 0 bonds to a uniformly drawn earlier atom with free valence (drawn from
    ``ATOM_WEIGHTS``; atom 0 is carbon); each bond becomes double with probability 0.15 if
    both atoms have valence to spare; then up to two ring bonds join atoms 4 or 5 bonds apart
    (closing 5- or 6-membered rings), each with probability 0.5.
    """
    symbols, weights = list(ATOM_WEIGHTS), np.array(list(ATOM_WEIGHTS.values()))
    molecule = Molecule(["C"])
    for _ in range(int(rng.integers(3, max_atoms + 1)) - 1):
        open_atoms = [a for a in range(len(molecule.atoms)) if molecule.free_valence(a) > 0]
        if not open_atoms:
            break
        anchor = open_atoms[int(rng.integers(len(open_atoms)))]
        molecule.atoms.append(symbols[int(rng.choice(len(symbols), p=weights / weights.sum()))])
        molecule.bond(anchor, len(molecule.atoms) - 1, 1)
    for pair in list(molecule.bonds):
        if rng.random() < 0.15 and min(molecule.free_valence(a) for a in pair) > 0:
            molecule.bonds[pair] = 2
    for _ in range(2):
        if rng.random() < 0.5:
            _close_ring(molecule, rng)
    return molecule


def _close_ring(molecule: Molecule, rng: np.random.Generator) -> None:
    free = [a for a in range(len(molecule.atoms)) if molecule.free_valence(a) > 0]
    pairs = [
        (i, j) for i in free for j, d in _path_lengths(molecule, i).items() if i < j and d in (4, 5)
    ]
    pairs = [(i, j) for i, j in pairs if molecule.free_valence(j) > 0]
    if pairs:
        i, j = pairs[int(rng.integers(len(pairs)))]
        molecule.bond(i, j, 1)


def write_smiles(molecule: Molecule) -> tuple[str, list[int]]:
    """The SMILES string of a connected molecule, depth first from atom 0, and the atom order.

    Tree bonds are written as the chain and branches (all children but the last in
    parentheses), the other bonds as ring-closure digits (the lowest free digit, reused once
    closed); a double bond is written "=" before the atom or, for a ring bond, before the
    digit where it opens.

    Returns:
        ``(smiles, order)``: the string and the atoms in the order they are written, so that
        atom k of :func:`parse_smiles` is ``order[k]`` of ``molecule``.
    """
    children: dict[int, list[int]] = {}

    def grow(atom: int) -> None:  # the depth-first spanning tree, neighbours in order
        children[atom] = []
        for other in molecule.neighbours(atom):
            if other not in children:
                children[atom].append(other)
                grow(other)

    grow(0)
    tree = {(min(a, c), max(a, c)) for a, kids in children.items() for c in kids}
    rings = sorted(pair for pair in molecule.bonds if pair not in tree)
    return _write(molecule, children, rings), _written_order(children)


def _written_order(children: dict[int, list[int]]) -> list[int]:
    order, stack = [], [0]
    while stack:
        atom = stack.pop()
        order.append(atom)
        stack.extend(reversed(children[atom]))
    return order


def _write(molecule: Molecule, children: dict[int, list[int]], rings: list[tuple[int, int]]) -> str:
    position = {atom: k for k, atom in enumerate(_written_order(children))}
    opened: dict[tuple[int, int], str] = {}
    free_digits = [str(d) for d in range(1, 10)]
    parts: list[str] = []

    def visit(atom: int) -> None:
        parts.append(molecule.atoms[atom])
        mine = sorted((p for p in rings if atom in p), key=lambda p: position[p[0] + p[1] - atom])
        for pair in mine:
            if pair in opened:
                parts.append(opened[pair])
                free_digits.append(opened.pop(pair))
                free_digits.sort()
            else:
                opened[pair] = free_digits.pop(0)
                parts.append(("=" if molecule.bonds[pair] == 2 else "") + opened[pair])
        kids = children[atom]
        for index, child in enumerate(kids):
            bond = "=" if molecule.bonds[(min(atom, child), max(atom, child))] == 2 else ""
            last = index == len(kids) - 1
            parts.append(bond if last else "(" + bond)
            visit(child)
            if not last:
                parts.append(")")

    visit(0)
    return "".join(parts)


def smiles_dataset(n_molecules: int, *, seed: int, max_atoms: int = 12) -> list[str]:
    """``n_molecules`` distinct SMILES strings of :func:`random_molecule`, in the order drawn.

    The same seed gives the same list. Strings are distinct as strings (the same molecule
    written from another start would count as another string; the writer always starts at
    the tree's root, so a molecule drawn twice gives the same string).
    """
    n_molecules = check_int("n_molecules", n_molecules, 1, 100_000)
    max_atoms = check_int("max_atoms", max_atoms, 3, 40)
    rng = numpy_generator(seed)
    seen: dict[str, None] = {}
    for _ in range(200 * n_molecules):
        seen.setdefault(write_smiles(random_molecule(rng, max_atoms))[0])
        if len(seen) == n_molecules:
            return list(seen)
    raise ValueError(f"fewer than {n_molecules} distinct molecules with max_atoms={max_atoms}")


class SmilesVocabulary:
    """Tokens of the grammar plus an end token, and fixed-length integer encodings.

    Token 0 is the end token "$"; a string becomes its tokens, the end token, then end tokens
    up to ``length`` (the notes' "stop" character, §5.3.1).

    Args:
        length: the length of every encoded sequence (the longest string plus one at least).
    """

    END = "$"
    TOKENS = (END, "C", "N", "O", "F", "Cl", "=", "(", ")", *"123456789")

    def __init__(self, length: int) -> None:
        self.length = check_int("length", length, 2)
        self.index = {token: i for i, token in enumerate(self.TOKENS)}

    @property
    def n_tokens(self) -> int:
        """Vocabulary size, the end token included."""
        return len(self.TOKENS)

    def encode(self, strings: Sequence[str]) -> Tensor:
        """int64 (n, length): each string's tokens, then the end token repeated.

        Raises:
            ValueError: a string with a character outside the grammar, or too long.
        """
        rows = []
        for string in strings:
            tokens = tokenize(string)
            if tokens is None or len(tokens) >= self.length:
                raise ValueError(
                    f"strings must be made of the grammar's tokens and shorter than length "
                    f"{self.length} tokens, got {string!r}"
                )
            codes = [self.index[t] for t in tokens]
            rows.append(codes + [0] * (self.length - len(codes)))
        return torch.tensor(rows, dtype=torch.int64)

    def decode(self, tokens: Tensor | Iterable[Iterable[int]]) -> list[str | None]:
        """Each row up to its first end token, or None where no end token appears."""
        out: list[str | None] = []
        for row in tokens.tolist() if isinstance(tokens, Tensor) else tokens:
            row = list(row)
            out.append("".join(self.TOKENS[t] for t in row[: row.index(0)]) if 0 in row else None)
        return out
