"""Why a row of a GTFS feed was left out of the timetable, in both languages (see etl.reasons)."""

from __future__ import annotations

from etl.reasons import Reason

UNKNOWN_STOP = Reason("unknown_stop", "the stop_id is not in stops.txt", "mã trạm (stop_id) không có trong stops.txt")
UNKNOWN_TRIP = Reason("unknown_trip", "the trip_id is not in trips.txt", "mã chuyến (trip_id) không có trong trips.txt")
UNKNOWN_ROUTE = Reason("unknown_route", "the route_id is not in routes.txt",
                       "mã tuyến (route_id) không có trong routes.txt")
UNKNOWN_SERVICE = Reason("unknown_service", "the service_id is in neither calendar.txt nor calendar_dates.txt",
                         "mã lịch chạy (service_id) không có trong calendar.txt hay calendar_dates.txt")
DUPLICATE_ID = Reason("duplicate_id", "the same id appears on an earlier row", "mã này đã có ở một dòng trước")
BAD_TIME = Reason("bad_time", "not a time as GTFS writes it (HH:MM:SS, hours may pass 24)",
                  "không phải giờ theo cách GTFS ghi (HH:MM:SS, giờ có thể quá 24)")
ARRIVAL_AFTER_DEPARTURE = Reason("arrival_after_departure", "arrives after it departs from the same stop",
                                 "giờ đến muộn hơn giờ đi tại cùng một trạm")
TIME_GOES_BACK = Reason("time_goes_back", "earlier than the previous stop of the trip: the trip is left out",
                        "sớm hơn trạm trước của chuyến: cả chuyến bị loại")
UNTIMED_END = Reason("untimed_end", "the first and last stop of a trip need times: the trip is left out",
                     "trạm đầu và trạm cuối của chuyến phải có giờ: cả chuyến bị loại")
TOO_FEW_STOPS = Reason("too_few_stops", "the trip has fewer than two usable stops: it is left out",
                       "chuyến có ít hơn hai trạm dùng được: bị loại")
BAD_SEQUENCE = Reason("bad_sequence", "stop_sequence is not a whole number, or repeats within the trip",
                      "stop_sequence không phải số nguyên, hoặc lặp lại trong chuyến")
BAD_COORDINATES = Reason("bad_coordinates", "stop_lat/stop_lon are not coordinates",
                         "stop_lat/stop_lon không phải tọa độ")
BAD_DATE = Reason("bad_date", "not a date as GTFS writes it (YYYYMMDD)",
                  "không phải ngày theo cách GTFS ghi (YYYYMMDD)")
BAD_NUMBER = Reason("bad_number", "not a whole number GTFS allows here", "không phải số nguyên mà GTFS cho phép ở đây")
BAD_HEADWAY = Reason("bad_headway", "headway_secs must be positive and end_time after start_time",
                     "headway_secs phải dương và end_time phải sau start_time")
