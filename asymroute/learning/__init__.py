"""Learning routers from labeled data: features, the model file, and trainers by target.

`features` turns a prompt into hashed n-gram and structural features; `model` holds the
logistic model and its JSON file format; `trainers` maps `asymroute train --target` names to
trainer functions; `prompt_trainer` fits the prompt classifier.
"""
