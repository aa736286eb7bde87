"""Authoring: turning a teacher's request into a lesson plan."""
