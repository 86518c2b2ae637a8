"""Enrolment in kindergartens, schools and clubs: the assignment mechanism and its rounds."""
