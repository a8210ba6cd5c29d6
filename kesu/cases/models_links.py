"""Links between cases, merges and the crisis flag (TR-5, TR-7). Imported by ``kesu.cases.models``."""
