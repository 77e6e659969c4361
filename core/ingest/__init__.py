"""Excel/CSV upload: sniff & repair, header & column mapping, clean, store & dates, load."""
