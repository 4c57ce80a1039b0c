#!/usr/bin/env bash
# Point Terraform at the local filesystem mirror of the hashicorp/aws provider.
#
# The Terraform registry is out of reach on these machines; a mirror of hashicorp/aws lies
# somewhere on disk. This script finds it (TRADELOOP_TF_PLUGIN_MIRROR if set, else a bounded
# search), writes a CLI config file to .tradeloop/terraformrc and exports TF_CLI_CONFIG_FILE
# to it, overriding any value inherited from the machine (which may name a missing file).
# No machine path is written into the repository: only into the git-ignored .tradeloop/.
#
#   source scripts/terraform_env.sh        # exports TF_CLI_CONFIG_FILE in this shell
#   scripts/terraform_env.sh --print       # writes the file, prints its path (for make/pytest)
#   eval "$(scripts/terraform_env.sh --export)"
#
# Exit status 3 (or return 3 when sourced) when no mirror can be found.

_tradeloop_tf_env() {
  local root mirror cfg_dir cfg candidate
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  mirror="${TRADELOOP_TF_PLUGIN_MIRROR:-}"
  if [[ -n "$mirror" && ! -d "$mirror/registry.terraform.io/hashicorp/aws" ]]; then
    echo "terraform_env: TRADELOOP_TF_PLUGIN_MIRROR=$mirror holds no registry.terraform.io/hashicorp/aws" >&2
    return 3
  fi
  if [[ -z "$mirror" ]]; then
    # The mirror root is the directory that holds registry.terraform.io/.
    candidate="$(find / -maxdepth 6 -type d -path '*registry.terraform.io/hashicorp/aws' \
      -not -path '/proc/*' -not -path '*/.terraform/*' 2>/dev/null | head -n 1)"
    if [[ -z "$candidate" ]]; then
      echo "terraform_env: no hashicorp/aws provider mirror found (set TRADELOOP_TF_PLUGIN_MIRROR)" >&2
      return 3
    fi
    mirror="${candidate%/registry.terraform.io/hashicorp/aws}"
  fi
  cfg_dir="$root/.tradeloop"
  cfg="$cfg_dir/terraformrc"
  mkdir -p "$cfg_dir"
  cat >"$cfg.tmp" <<RC
# Written by scripts/terraform_env.sh: do not edit, do not commit.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
RC
  mv "$cfg.tmp" "$cfg"
  export TF_CLI_CONFIG_FILE="$cfg"
  # Terraform runs unattended from make and pytest.
  export TF_IN_AUTOMATION=1
  return 0
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  _tradeloop_tf_env
  return $?
fi

set -euo pipefail
_tradeloop_tf_env || exit $?
case "${1:-}" in
  --export) echo "export TF_CLI_CONFIG_FILE='$TF_CLI_CONFIG_FILE' TF_IN_AUTOMATION=1" ;;
  *) echo "$TF_CLI_CONFIG_FILE" ;;
esac
