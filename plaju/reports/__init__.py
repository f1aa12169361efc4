"""Reports: the service and competence dashboards, the monthly report, charts drawn on the server."""
