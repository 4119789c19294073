"""Journeys by bus, metro and on foot from the published GTFS timetable: the network held per process
(network, current), one service day's arrays (days), the rounds (raptor), legs read back (legs), the
questions (planner), the answers (itineraries, routes) and where one may be sent (destinations, opening)."""
