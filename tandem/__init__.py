"""Tandem: the platform that makes an L&D team a strategic partner of the business."""
