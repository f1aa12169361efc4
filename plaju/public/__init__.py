"""Pages without login: tracking a document request by its code."""
