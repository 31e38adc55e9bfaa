"""optviz's plotly figures, one module per figure; import the one you need.

* `trajectory`: runs on a 2D surface, animated step by step (the explorer, the CLI).
* `contours`: the surface under them: its grid of f, levels, level lines and image.
* `inspector`: an optimizer's quantities at one step and over all steps.
* `loss`: loss curves of training runs (the trainer).
* `sweep`: the heat map of a hyperparameter sweep.
* `theme`: the look they share (font, colours, template).
* `plotly_internals`: the one place that touches plotly's private attributes, to build
  figures without validation, each use with its public fallback.
"""
