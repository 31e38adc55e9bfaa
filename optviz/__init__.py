"""optviz: see how Adam and its family of optimizers work.

Layers, bottom up: `ops` (array helpers) → `rules` (update rules, one per optimizer)
→ `optimizers` (torch.optim adapters) and `trajectory` (2D engine over `surfaces`)
→ `settings` (validated inputs) → `plots` (the figures) and the CLI (`python -m optviz`).
"""

__version__ = "0.1.0"
