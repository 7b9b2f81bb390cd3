"""Runtime: wires sources, parsing and the engine together (one-shot scan for now)."""

from loghealth.runtime.scan import ScanOptions, ScanResult, SourceReport, scan_inputs

__all__ = ["ScanOptions", "ScanResult", "SourceReport", "scan_inputs"]
