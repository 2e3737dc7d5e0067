"""Answering questions from the store: named SQL files, their parameters, and the reports."""
