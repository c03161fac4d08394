"""The public interface (一公开): item list, plans, draw proofs and disclosed results, without a token."""
