"""Complaints and suggestions (pengaduan) about a document request, answered by the section heads."""
