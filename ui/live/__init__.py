"""The live view: one components-v2 component for the live area of a training page."""
