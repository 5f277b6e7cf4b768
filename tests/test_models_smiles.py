"""The SMILES grammar of labcoat.models.smiles: hand-chosen strings, writer against parser."""

import numpy as np
import pytest
import torch

from labcoat.models.smiles import (
    SmilesVocabulary,
    is_valid_smiles,
    parse_smiles,
    random_molecule,
    smiles_dataset,
    smiles_error,
    write_smiles,
)

VALID = [
    "C",  # methane
    "CCO",  # ethanol
    "C=C",  # ethene
    "C=O",  # formaldehyde
    "CC(=O)O",  # acetic acid
    "ClC(Cl)(Cl)Cl",  # tetrachloromethane
    "C1CCCCC1",  # cyclohexane
    "C1=CCCCC1",  # cyclohexene
    "C=1CCCC1",  # a ring bond written double at its opening
    "C1CCCC=1",  # ... and at its closing
    "C12CC1CC2",  # two ring bonds on one atom
    "C1CC1C1CC1",  # a digit reused after it closes
    "OC(F)(F)F",
    "N=C=O",
    "C(C(C(C)C)C)C",
    "CN1CCOCC1",  # N-methylmorpholine
]

INVALID = {
    "": "no atom",
    "c1ccccc1": "outside the grammar",  # aromatic atoms are not in the subset
    "C#N": "outside the grammar",  # no triple bonds
    "[NH4+]": "outside the grammar",
    "CC(C)(C)(C)C": "exceeds its valence 4",  # five bonds on a carbon
    "CF(C)": "exceeds its valence 1",
    "O=O=C": "exceeds its valence 2",
    "N(=C)=C": "exceeds its valence 3",
    "C=1CCCC1=C": "exceeds its valence 4",  # ring double bond + chain double bond + single
    "C1CC": "unclosed ring digit(s) 1",
    "C1CC2CC1": "unclosed ring digit(s) 2",
    "C1C1": "already bonded",
    "C11": "closes on its own atom",
    "C=1CCCC=1": None,  # both ends double: agrees, so valid (checked below)
    "C(C": "an unclosed branch",
    "CC)": "without an opening one",
    "C()C": "an empty branch",
    "C(=)C": "an empty branch, or a branch ending in a bond",
    "(C)C": "a branch that does not follow an atom",
    "C((C))": "a branch that does not follow an atom",
    "C==C": "after another bond",
    "=CC": "no atom before it",
    "CC=": "a bond symbol at the end",
    "C(1)C": "ring digit that does not follow an atom",
}


@pytest.mark.parametrize("smiles", VALID)
def test_valid_strings_are_accepted(smiles):
    assert smiles_error(smiles) is None
    assert is_valid_smiles(smiles)


@pytest.mark.parametrize("smiles", [s for s, why in INVALID.items() if why is not None])
def test_invalid_strings_are_refused_with_the_broken_rule(smiles):
    assert not is_valid_smiles(smiles)
    assert INVALID[smiles] in smiles_error(smiles)
    with pytest.raises(ValueError, match="is not valid"):
        parse_smiles(smiles)


def test_parsed_molecules_have_the_written_bonds():
    acetic = parse_smiles("CC(=O)O")
    assert acetic.atoms == ["C", "C", "O", "O"]
    assert acetic.bonds == {(0, 1): 1, (1, 2): 2, (1, 3): 1}
    ring = parse_smiles("C1CCCC=1")
    assert ring.bonds[(0, 4)] == 2 and len(ring.bonds) == 5
    assert parse_smiles("C=1CCCC=1").bonds[(0, 4)] == 2
    with pytest.raises(TypeError, match="smiles must be a str"):
        smiles_error(5)  # type: ignore[arg-type]


def test_written_strings_parse_back_to_the_same_molecule():
    # writer and parser were written independently: each generated graph must come back
    # with the same atoms and bonds under the written atom order
    rng = np.random.default_rng(0)
    for _ in range(300):
        molecule = random_molecule(rng)
        smiles, order = write_smiles(molecule)
        parsed = parse_smiles(smiles)
        assert parsed.atoms == [molecule.atoms[a] for a in order]
        back = {
            (min(order[i], order[j]), max(order[i], order[j])): k
            for (i, j), k in parsed.bonds.items()
        }
        assert back == molecule.bonds
        assert all(molecule.free_valence(a) >= 0 for a in range(len(molecule.atoms)))


def test_dataset_is_reproducible_distinct_and_valid():
    data = smiles_dataset(300, seed=3)
    assert data == smiles_dataset(300, seed=3)
    assert data != smiles_dataset(300, seed=4)
    assert len(set(data)) == 300 and all(is_valid_smiles(s) for s in data)
    assert any("1" in s for s in data) and any("=" in s for s in data)
    assert any("(" in s for s in data) and any("Cl" in s for s in data)


def test_vocabulary_round_trip():
    vocabulary = SmilesVocabulary(12)
    tokens = vocabulary.encode(["CC(=O)Cl", "C1CC1"])
    assert tokens.dtype == torch.int64 and tokens.shape == (2, 12)
    assert tokens[0, :7].tolist() == [1, 1, 7, 6, 3, 8, 5] and (tokens[0, 7:] == 0).all()
    assert vocabulary.decode(tokens) == ["CC(=O)Cl", "C1CC1"]
    assert vocabulary.decode([[1, 2, 3]]) == [None]  # no end token: unfinished
    with pytest.raises(ValueError, match="shorter than length 12"):
        vocabulary.encode(["C" * 12])
    with pytest.raises(ValueError, match="grammar's tokens"):
        vocabulary.encode(["CXC"])


def test_autoregressive_rnn_is_exactly_normalized_and_samples_its_own_law():
    import itertools

    from labcoat.models.rnn import AutoregressiveRNN

    model = AutoregressiveRNN(3, 4, hidden_size=6, seed=1).requires_grad_(False)
    states = torch.tensor(list(itertools.product(range(3), repeat=4)))
    p = model.log_prob(states).exp().detach()
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-5)
    # the chain rule by hand: p(x_1) p(x_2|x_1) ... from the generator's own step scores
    x = states[17:18]
    inputs = torch.tensor([[3, *x[0, :3].tolist()]])
    step = torch.log_softmax(model.generator(inputs)[..., :3], -1)[0]
    assert float(model.log_prob(x)) == pytest.approx(float(sum(step[t, x[0, t]] for t in range(4))))
    samples = model.sample(20_000, generator=torch.Generator().manual_seed(0))
    index = (samples * torch.tensor([27, 9, 3, 1])).sum(1)
    frequencies = torch.bincount(index, minlength=81) / 20_000
    assert torch.allclose(frequencies, p, atol=0.012)  # > 5 sd of any cell
