"""The fields of Space-Track's request classes, with the MySQL types its modeldef reports
(space-track.org "API" documentation), for the classes Accord answers."""

from __future__ import annotations

# The gp class's fields (Space-Track names and MySQL types, as its modeldef reports them).
GP_FIELDS: dict[str, str] = {
    "CCSDS_OMM_VERS": "varchar(3)",
    "COMMENT": "varchar(33)",
    "CREATION_DATE": "datetime",
    "ORIGINATOR": "varchar(7)",
    "OBJECT_NAME": "varchar(25)",
    "OBJECT_ID": "varchar(12)",
    "CENTER_NAME": "varchar(5)",
    "REF_FRAME": "varchar(4)",
    "TIME_SYSTEM": "varchar(3)",
    "MEAN_ELEMENT_THEORY": "varchar(4)",
    "EPOCH": "datetime(6)",
    "MEAN_MOTION": "decimal(13,8)",
    "ECCENTRICITY": "decimal(13,8)",
    "INCLINATION": "decimal(7,4)",
    "RA_OF_ASC_NODE": "decimal(7,4)",
    "ARG_OF_PERICENTER": "decimal(7,4)",
    "MEAN_ANOMALY": "decimal(7,4)",
    "EPHEMERIS_TYPE": "tinyint(4)",
    "CLASSIFICATION_TYPE": "char(1)",
    "NORAD_CAT_ID": "int(10) unsigned",
    "ELEMENT_SET_NO": "smallint(5) unsigned",
    "REV_AT_EPOCH": "mediumint(8) unsigned",
    "BSTAR": "decimal(19,14)",
    "MEAN_MOTION_DOT": "decimal(9,8)",
    "MEAN_MOTION_DDOT": "decimal(22,13)",
    "SEMIMAJOR_AXIS": "double(12,3)",
    "PERIOD": "double(12,3)",
    "APOAPSIS": "double(12,3)",
    "PERIAPSIS": "double(12,3)",
    "OBJECT_TYPE": "varchar(12)",
    "RCS_SIZE": "char(6)",
    "COUNTRY_CODE": "char(6)",
    "LAUNCH_DATE": "date",
    "SITE": "char(5)",
    "DECAY_DATE": "date",
    "FILE": "bigint(20) unsigned",
    "GP_ID": "int(10) unsigned",
    "TLE_LINE0": "varchar(27)",
    "TLE_LINE1": "varchar(71)",
    "TLE_LINE2": "varchar(71)",
}
SATCAT_FIELDS: dict[str, str] = {
    "INTLDES": "varchar(12)",
    "NORAD_CAT_ID": "int(10) unsigned",
    "OBJECT_TYPE": "varchar(12)",
    "SATNAME": "varchar(25)",
    "COUNTRY": "char(6)",
    "LAUNCH": "date",
    "SITE": "char(5)",
    "DECAY": "date",
    "PERIOD": "decimal(12,2)",
    "INCLINATION": "decimal(12,2)",
    "APOGEE": "bigint(20)",
    "PERIGEE": "bigint(20)",
    "RCSVALUE": "int(1)",
    "CURRENT": "varchar(1)",
    "OBJECT_NAME": "varchar(25)",
    "OBJECT_ID": "varchar(12)",
}
CDM_PUBLIC_FIELDS: dict[str, str] = {
    "CDM_ID": "int(10) unsigned",
    "CREATED": "datetime(6)",
    "EMERGENCY_REPORTABLE": "char(1)",
    "TCA": "datetime(6)",
    "MIN_RNG": "double",
    "PC": "double",
    "SAT_1_ID": "int(10) unsigned",
    "SAT_1_NAME": "varchar(25)",
    "SAT1_OBJECT_TYPE": "varchar(25)",
    "SAT1_RCS": "varchar(6)",
    "SAT_1_EXCL_VOL": "varchar(62)",
    "SAT_2_ID": "int(10) unsigned",
    "SAT_2_NAME": "varchar(25)",
    "SAT2_OBJECT_TYPE": "varchar(25)",
    "SAT2_RCS": "varchar(6)",
    "SAT_2_EXCL_VOL": "varchar(62)",
}
_MESSAGE_FIELDS = {
    "MESSAGE_ID": "varchar(100)",
    "CCSDS_CDM_VERS": "varchar(3)",
    "CREATION_DATE": "datetime(6)",
    "ORIGINATOR": "varchar(20)",
    "MISS_DISTANCE": "double",
    "RELATIVE_SPEED": "double",
    "RELATIVE_POSITION_R": "double",
    "RELATIVE_POSITION_T": "double",
    "RELATIVE_POSITION_N": "double",
    "RELATIVE_VELOCITY_R": "double",
    "RELATIVE_VELOCITY_T": "double",
    "RELATIVE_VELOCITY_N": "double",
    "START_SCREEN_PERIOD": "datetime(6)",
    "STOP_SCREEN_PERIOD": "datetime(6)",
    "SCREEN_VOLUME_FRAME": "varchar(3)",
    "SCREEN_VOLUME_SHAPE": "varchar(9)",
    "SCREEN_VOLUME_X": "double",
    "SCREEN_VOLUME_Y": "double",
    "SCREEN_VOLUME_Z": "double",
    "COLLISION_PROBABILITY": "double",
    "COLLISION_PROBABILITY_METHOD": "varchar(20)",
}
_OBJECT_TEXT = {
    "OBJECT": "varchar(7)",
    "OBJECT_DESIGNATOR": "varchar(10)",
    "CATALOG_NAME": "varchar(6)",
    "OBJECT_NAME": "varchar(25)",
    "INTERNATIONAL_DESIGNATOR": "varchar(12)",
    "EPHEMERIS_NAME": "varchar(20)",
    "COVARIANCE_METHOD": "varchar(10)",
    "MANEUVERABLE": "varchar(3)",
    "REF_FRAME": "varchar(7)",
}
STATE = ("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT")
# The lower triangle of the RTN covariance, row by row (508.0-B-1 Table 3-4).
_AXES = ("R", "T", "N", "RDOT", "TDOT", "NDOT")
COVARIANCE = tuple(f"C{_AXES[i]}_{_AXES[j]}" for i in range(6) for j in range(i + 1))
CDM_FIELDS: dict[str, str] = {
    **CDM_PUBLIC_FIELDS,
    **_MESSAGE_FIELDS,
    **{
        f"SAT{n}_{name}": type_
        for n in (1, 2)
        for name, type_ in [*_OBJECT_TEXT.items(), *((k, "double") for k in STATE + COVARIANCE)]
    },
}
DECAY_FIELDS: dict[str, str] = {
    "NORAD_CAT_ID": "int(10) unsigned",
    "OBJECT_NUMBER": "int(10) unsigned",
    "OBJECT_NAME": "varchar(25)",
    "INTLDES": "varchar(12)",
    "OBJECT_ID": "varchar(12)",
    "RCS": "int(1)",
    "RCS_SIZE": "varchar(6)",
    "COUNTRY": "char(6)",
    "MSG_EPOCH": "datetime",
    "DECAY_EPOCH": "datetime",
    "SOURCE": "varchar(9)",
    "MSG_TYPE": "varchar(10)",
    "PRECEDENCE": "bigint(20)",
}
TIP_FIELDS: dict[str, str] = {
    "NORAD_CAT_ID": "int(10) unsigned",
    "MSG_EPOCH": "datetime",
    "INSERT_EPOCH": "datetime",
    "DECAY_EPOCH": "datetime",
    "WINDOW": "int(10) unsigned",
    "REV": "int(10) unsigned",
    "DIRECTION": "varchar(12)",
    "LAT": "decimal(5,2)",
    "LON": "decimal(5,2)",
    "INCL": "decimal(5,2)",
    "NEXT_REPORT": "int(10) unsigned",
    "ID": "int(10) unsigned",
    "HIGH_INTEREST": "char(1)",
    "OBJECT_NUMBER": "int(10) unsigned",
}
COUNTS = ("ORBITAL_TBA", "ORBITAL_PAYLOAD_COUNT", "ORBITAL_ROCKET_BODY_COUNT",
           "ORBITAL_DEBRIS_COUNT", "ORBITAL_TOTAL_COUNT", "DECAYED_PAYLOAD_COUNT",
           "DECAYED_ROCKET_BODY_COUNT", "DECAYED_DEBRIS_COUNT", "DECAYED_TOTAL_COUNT",
           "COUNTRY_TOTAL")  # fmt: skip
BOXSCORE_FIELDS: dict[str, str] = {
    "COUNTRY": "varchar(100)",
    "SPADOC_CD": "varchar(10)",
    **{name: "bigint(21)" for name in COUNTS},
}
_STORED = {"cdm_public": CDM_PUBLIC_FIELDS, "cdm": CDM_FIELDS, "decay": DECAY_FIELDS,
          "tip": TIP_FIELDS, "boxscore": BOXSCORE_FIELDS}  # fmt: skip
FIELDS: dict[str, dict[str, str]] = {
    "gp": GP_FIELDS,
    "gp_history": GP_FIELDS,
    "satcat": SATCAT_FIELDS,
    **_STORED,
}
