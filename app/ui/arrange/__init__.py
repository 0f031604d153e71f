"""The arrange window: the timeline of track lanes with waveforms, the ruler, zoom and scroll."""
