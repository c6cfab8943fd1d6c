"""Offline routing evaluation: labeled data, RouteLLM's metrics, costs, plots, progress.

Modules: `datasets` (load labeled CSVs), `metrics` (curves, APGR, CPT, cost saving),
`costs` (cost estimates from text length and a price table), `evaluate` (a whole report for a
classifier), `plot`, `progress`. Each module's docstring describes its interface.

Layer: the floor, in two parts: `datasets`, `metrics`, `progress`, `prompts` sit low (the
trainers use them); `evaluate` and the cascade replay sit above the classifiers and validators
they evaluate. Evaluation never imports `learning`.
"""
