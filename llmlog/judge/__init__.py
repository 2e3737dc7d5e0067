"""LLM-as-judge: score a deterministic sample of production calls against a rubric.

``sample.draw`` picks the calls (skipping those already scored), ``run.judge`` sends each
to the judge model and stores one ``llm_scores`` row per call; ``scores`` aggregates them
(``llmlog scores``).
"""
