"""``accord pc``."""

from __future__ import annotations

from pathlib import Path

import click

from accord.cli.common import console, echo_json
from accord.errors import InvalidRequestError
from accord.services.cdm import read_cdm_file
from accord.services.collision import PcMethod, pc_from_cdm

_METHODS = {
    "foster": PcMethod.FOSTER,
    "chan": PcMethod.CHAN,
    "max": PcMethod.ALFANO_MAX,
    "mc": PcMethod.MONTE_CARLO,
}


@click.command()
@click.argument("cdm_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(list(_METHODS)), default="foster", show_default=True)
@click.option("--hbr-m", type=click.FloatRange(min=0, min_open=True),
              help="Combined hard-body radius in m (default: the CDM's, else 5 m).")  # fmt: skip
@click.option("--shape", type=click.Choice(["circle", "square"]), default="circle",
              show_default=True, help="Hard-body area: circle or square (18 SDS).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def pc(cdm_file: Path, method: str, hbr_m: float | None, shape: str, as_json: bool) -> None:
    """Compute the probability of collision of each CDM in a file from its states and
    covariances (the CDM's own COLLISION_PROBABILITY is shown, never used)."""
    read = read_cdm_file(cdm_file)
    if read.result.rejected:
        raise InvalidRequestError(read.result.rejected[0].reason)
    out = []
    for message in read.result.records:
        res = pc_from_cdm(message, _METHODS[method], hbr_m, shape=shape)
        out.append(
            {
                "message_id": message.message_id,
                "pc": res.pc,
                "method": res.method.value,
                "ccsds_method": res.method.ccsds_name,
                "shape": shape,
                "hbr_m": res.hbr_m,
                "hbr_source": res.hbr_source,
                "cdm_pc": res.cdm_pc,
                "cdm_method": res.cdm_method,
            }
        )
    if as_json:
        echo_json(out[0] if len(out) == 1 else out)
        return
    for row in out:
        sent = f" (CDM says {row['cdm_pc']:.3e} {row['cdm_method'] or ''})" if row["cdm_pc"] else ""
        console.print(
            f"{row['message_id']}: Pc = {row['pc']:.4e} by {row['method']}, "
            f"HBR {row['hbr_m']:g} m ({row['hbr_source']}, {shape}){sent}"
        )
