"""Model-based testing example: a quorum-guarded replicated store tested against its hacheck model."""
