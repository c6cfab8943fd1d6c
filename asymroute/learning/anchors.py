"""Synthetic anchor prompts added to every training set of the prompt router.

Provenance: written by hand for asymroute (not taken from any data set or model output), as the
production intent for gateway traffic that benchmark data does not contain: greetings, small
talk, trivial arithmetic and short factual questions belong to the local tier; proofs, long
multi-step reasoning, design and code-writing requests belong to the frontier.

They enter training as if only the local model were right (`LOCAL`) or only the frontier were
right (`FRONTIER`), each with weight `ANCHOR_WEIGHT` rows. They are never part of a validation
fold, an evaluation split, or the share that sets the default threshold. The unit test of the
shipped default checks different everyday prompts, so it is not a memorisation test.
"""

from __future__ import annotations

ANCHOR_WEIGHT = 20.0

LOCAL = (
    "hello",
    "Hey there!",
    "Good morning :)",
    "thanks a lot",
    "ok cool",
    "bye, see you tomorrow",
    "How's it going?",
    "What's up?",
    "Tell me a joke",
    "what is 7 times 8",
    "4+4=?",
    "What is 15% of 200?",
    "How many days are in a week?",
    "What's the capital of Italy?",
    "Who wrote Romeo and Juliet?",
    "What color is the sky?",
    "Translate 'thank you' to French",
    "Spell 'necessary'",
    "What time zone is London in?",
    "How do you say hello in Spanish?",
    "Is a tomato a fruit?",
    "Give me a synonym for happy",
    "What year did World War II end?",
    "How many legs does a spider have?",
    "Define the word 'ephemeral'.",
    "Convert 5 km to meters",
    "What's the boiling point of water in Celsius?",
    "Recommend a name for my cat",
    "Summarize in one line: the meeting moved to Friday.",
    "What's the opposite of cold?",
)

FRONTIER = (
    "Prove that there are infinitely many primes of the form 4k+3.",
    "Prove that the square root of 2 is irrational, step by step.",
    "Derive the closed form of the sum of the first n cubes and prove it by induction.",
    "Write a Python function that merges overlapping intervals and explain its complexity.",
    "Implement a thread-safe LRU cache in Java with O(1) get and put.",
    "Write a SQL query that returns the top 3 salaries per department, handling ties.",
    "Refactor this code to remove the race condition:\n```python\n"
    "count = 0\ndef incr():\n    global count\n    count += 1\n```",
    "Debug why my recursive function overflows the stack for large inputs and fix it.",
    "Design a distributed rate limiter for an API gateway serving 1M requests per second; "
    "compare token bucket and sliding window trade-offs.",
    "Architect an event-sourced order system; explain consistency, replay and failure handling.",
    "Analyze the time and space complexity of Dijkstra's algorithm with a binary heap and "
    "justify each step.",
    "A train leaves at 3 pm at 60 mph, another at 4 pm at 80 mph from the same station; a third "
    "leaves at 5 pm at 100 mph. When and where does each pass the others? Show every step.",
    "Solve the system x + y + z = 6, 2x - y + 3z = 14, -x + 4y - z = -2 and verify the result.",
    "Compute the integral of x^2 * e^(-x) from 0 to infinity and explain each step.",
    "Find the eigenvalues and eigenvectors of the matrix [[2, 1], [1, 2]] and diagonalize it.",
    "Evaluate the argument: all ravens are black, this bird is black, so it is a raven. Identify "
    "the fallacy and formalize it.",
    "Explain why quicksort is O(n log n) on average but O(n^2) in the worst case, with a proof.",
    "Critique this research design and propose a better causal identification strategy.",
    "Write a parser for arithmetic expressions with precedence and parentheses in TypeScript.",
    "Optimize this SQL schema for a multi-tenant analytics workload and justify the indexes.",
    "Formalize the Byzantine generals problem and prove the n > 3f bound.",
    "Given a budget of $12,000 split over 4 quarters with 5% growth each quarter and a 20% "
    "reserve, compute the spend per quarter and the remaining balance after each one.",
    "Implement Raft leader election in Go, with tests for split votes.",
    "Derive the backpropagation equations for a two-layer neural network with softmax output.",
    "Prove or disprove: every continuous function on [0, 1] is uniformly continuous.",
    "Write a shell script that rotates logs, compresses old ones and keeps the last 7 days.",
    "Design the database schema and REST API for a library system with loans, holds and fines.",
    "Compare the legal doctrines of negligence and strict liability with case examples.",
    "Explain, step by step, how RSA key generation works and why decryption recovers the message.",
    "Analyze this contract clause for ambiguities and the risks for each party.",
)
