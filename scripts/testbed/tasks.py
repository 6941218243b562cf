"""tasks.py: the algorithmic domains of the testbed, their token layout and
the train / held-out split. A sample is the 5-token sequence

    op a b = c        (c = f_op(a, b) mod p)

with numbers 0..p-1 as tokens 0..p-1, then one token per domain's operator,
then "=". The operator comes first so every later token can see its domain.
The vocabulary is padded to p + 10 (unused tokens only ever get the loss's
softmax mass). Each domain's split is a seeded shuffle of all p*p pairs: the
first round(frac * p * p) are its training samples, the rest held out.
"""
import torch

OPS = {
    "add": lambda a, b, p: (a + b) % p,
    "sub": lambda a, b, p: (a - b) % p,
    "mul": lambda a, b, p: (a * b) % p,
    "sq": lambda a, b, p: (a * a + b) % p,
    "cube": lambda a, b, p: (a * a * a + b) % p,
}


class Layout:
    """Token ids: numbers, one operator per domain, '='."""

    def __init__(self, p, domains):
        self.p = p
        self.domains = list(domains)
        self.op = {d: p + i for i, d in enumerate(self.domains)}
        self.eq = p + len(self.domains)
        self.vocab = p + 10
        assert self.eq < self.vocab

    def sample(self, d, a, b):
        return [self.op[d], a, b, self.eq, OPS[d](a, b, self.p)]


class Split:
    """One domain's samples: train and held-out token tensors [N, 5] and the
    pair index (a * p + b) of each, for stable item ids."""

    def __init__(self, layout, d, frac, seed):
        p = layout.p
        gen = torch.Generator().manual_seed(seed)
        order = torch.randperm(p * p, generator=gen).tolist()
        n_train = round(frac * p * p)
        self.domain = d
        self.train_pairs = sorted(order[:n_train])
        self.test_pairs = sorted(order[n_train:])
        self.train = self._tokens(layout, d, self.train_pairs)
        self.test = self._tokens(layout, d, self.test_pairs)

    @staticmethod
    def _tokens(layout, d, pairs):
        p = layout.p
        return torch.tensor([layout.sample(d, q // p, q % p) for q in pairs],
                            dtype=torch.long)
