"""The session document and its files: model, edits, project folder, media and peaks. No Qt."""
