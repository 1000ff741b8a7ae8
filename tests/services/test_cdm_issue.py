"""CDMs issued for screened conjunctions: valid CCSDS XML, read back equal, same Pc."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from accord.formats.cdm import dump_cdm_kvn, dump_cdm_xml, load_cdm
from accord.services.cdm import conjunction_cdms, write_cdms
from accord.services.collision import pc_from_cdm
from accord.services.demo import DEMO_DIR
from accord.services.screening import screen_files

XSD = "ccsds/beyond_pkg/xsd/ndmxml-1.0-master.xsd"
CREATED = datetime(2026, 3, 5, 0, 0, 0)


def test_issued_cdms_are_valid_and_consistent(shared_data: Path, tmp_path: Path) -> None:
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(shared_data / XSD)))
    result = screen_files(
        [DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"], window=timedelta(hours=6)
    )
    cdms = conjunction_cdms(result, created=CREATED)
    assert len(cdms) == len(result.conjunctions) > 0
    xml = dump_cdm_xml(cdms)
    schema.assertValid(etree.fromstring(xml.encode()))
    assert load_cdm(xml).records == cdms
    assert load_cdm(dump_cdm_kvn(cdms)).records == cdms
    for cdm, conjunction in zip(cdms, result.conjunctions, strict=True):
        assert cdm.miss_distance_m == pytest.approx(conjunction.miss_distance_km * 1000)
        assert conjunction.pc is not None
        # The Pc recomputed from the CDM (GCRF states, RTN covariance) is the run's Pc.
        assert pc_from_cdm(cdm, hbr_m=5.0).pc == pytest.approx(conjunction.pc, rel=1e-6)
    paths = write_cdms(cdms, tmp_path / "cdm", "xml")
    assert [load_cdm(p.read_bytes()).records[0] for p in paths] == cdms
