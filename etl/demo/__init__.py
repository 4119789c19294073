"""A generated, deterministic demo city (Ho Chi Minh City) written as ordinary agency files."""

from etl.demo.generate import generate_demo_city

__all__ = ["generate_demo_city"]
