"""Learning routers from labeled data: features, the model file, and trainers by target.

The runtime model files live with the classifiers (`classifiers/features.py`,
`logistic_model.py`, `embedding_model.py`); `trainers` maps `asymroute train --target` names to
trainer functions; `prompt_trainer` fits the prompt classifier.

Layer: the top of the floor: trainers import evaluation's datasets and metrics, classifiers'
and validators' model files; nothing at request time imports `learning`.
"""
