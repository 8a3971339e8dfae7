"""The job service: submissions, views, runs, expiry, mail, the queue's tasks and the fleet."""
