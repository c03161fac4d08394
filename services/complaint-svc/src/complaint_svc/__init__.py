"""complaint-svc: Complaints and reports (投诉举报): intake from every channel, linking, dispatch, handling, Open311."""
