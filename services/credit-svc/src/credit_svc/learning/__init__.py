"""An optional scikit-learn model trained on outcomes that complements the rule score."""
