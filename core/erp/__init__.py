"""ERP sources (Microsip, demo) and the sync engine."""
