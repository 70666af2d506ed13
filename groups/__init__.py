"""Company groups: a chain or holding whose member companies (branches) save together."""
