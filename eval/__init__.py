"""Evaluation harness: metrics, runs and reports."""
