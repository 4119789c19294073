"""What the journey planner says to people, in Vietnamese and English."""

from __future__ import annotations

PLACES = {"vi": ("Điểm xuất phát", "Điểm đến"), "en": ("Origin", "Destination")}

NO_STOP_NEAR = {
    "vi": "Không có trạm xe buýt hay ga metro nào trong phạm vi đi bộ của điểm xuất phát hoặc điểm đến, "
          "và quãng đường quá xa để đi bộ.",
    "en": "No bus stop or metro station is within walking distance of the origin or the destination, "
          "and it is too far to walk.",
}
NO_CONNECTION = {
    "vi": "Không tìm được chuyến nào đến nơi vào thời điểm này (có thể đã hết giờ chạy); hãy thử giờ khác.",
    "en": "No ride gets there at this time (service may have ended for the day); try another time.",
}
