"""The drill: failure scenarios played end to end against the local stack."""
