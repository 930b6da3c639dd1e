// nodeTemplate: the cloud's NodePool spec.nodeTemplate, taken verbatim. Only the fields the
// agent uses are read and checked; every other key is ignored, because the API grows.
#include <fmt/format.h>

#include <map>
#include <set>

#include "agent/base/base64.h"
#include "agent/config/fields.h"
#include "agent/config/kubernetes_names.h"
#include "agent/config/sections.h"

namespace nodeboot::config {
namespace {

using Unknown = Fields::UnknownKeys;

// CCE's limit on the two scripts together, in encoded characters.
constexpr size_t kMaxEncodedScriptChars = 10240;

std::optional<Secret> DecodeScript(Fields& extend, std::string_view key, size_t& encoded_total) {
  const auto encoded = extend.String(key);
  if (!encoded) return std::nullopt;
  encoded_total += TrimWhitespace(*encoded).size();
  auto decoded = DecodeBase64(*encoded);
  if (!decoded) {
    extend.Fail(key, decoded.error().message);
    return std::nullopt;
  }
  if (decoded->empty()) {
    extend.Fail(key, "decodes to an empty script");
    return std::nullopt;
  }
  if (decoded->find('\0') != std::string::npos) {
    extend.Fail(key, "decodes to bytes with a NUL: a script must be text");
    return std::nullopt;
  }
  // Written on Windows: the kernel takes "/bin/bash\r" for the interpreter and the script
  // cannot start, with nothing but "No such file or directory" to say why.
  if (decoded->starts_with("#!") && decoded->substr(0, decoded->find('\n')).ends_with('\r')) {
    extend.Fail(key,
                "its #! line ends in a carriage return (Windows CRLF line endings), so no interpreter can be found "
                "for it; convert it to Unix line endings (dos2unix) and encode it again");
    return std::nullopt;
  }
  return Secret(std::move(*decoded));
}

void ParseExtendParam(Fields extend, NodeTemplate& out) {
  if (auto pods = extend.Integer("maxPods", 1, 65535)) out.max_pods = int(*pods);
  size_t encoded_total = 0;
  out.pre_install_script = DecodeScript(extend, "alpha.cce/preInstall", encoded_total);
  out.post_install_script = DecodeScript(extend, "alpha.cce/postInstall", encoded_total);
  if (encoded_total > kMaxEncodedScriptChars) {
    extend.Fail(extend.Has("alpha.cce/postInstall") ? "alpha.cce/postInstall" : "alpha.cce/preInstall",
                fmt::format("the pre- and post-install scripts together are {} base64 characters; CCE's limit is {}",
                            encoded_total, kMaxEncodedScriptChars));
  }
  extend.Finish();
}

void ParseLabels(const Document* tags, NodeTemplate& out, ConfigErrors& errors) {
  if (tags == nullptr) return;
  for (const auto& [key, value] : tags->members) {
    const std::string path = JoinPath("nodeTemplate.k8sTags", key);
    if (!value.is_scalar() && !value.is_null()) {
      errors.push_back({path, fmt::format("must be a string, got {}", KindName(value.kind)), value.line});
      continue;
    }
    if (auto why = CheckLabelKey(key); !why.empty()) {
      errors.push_back({path, "invalid label key: " + why, value.key_line});
      continue;
    }
    if (auto why = CheckSelfLabelAllowed(key); !why.empty()) {
      errors.push_back({path, why, value.line});
      continue;
    }
    if (auto why = CheckLabelValue(value.scalar); !why.empty()) {
      errors.push_back({path, "invalid label " + why, value.line});
      continue;
    }
    out.labels.emplace_back(key, value.scalar);
  }
}

void ParseTaints(const Document* list, NodeTemplate& out, ConfigErrors& errors) {
  std::set<std::pair<std::string, std::string>> seen;  // (key, effect) is unique on a Node
  for (size_t i = 0; list && i < list->items.size(); ++i) {
    Fields fields(&list->items[i], IndexPath("nodeTemplate.taints", i), errors, Unknown::kIgnore);
    if (!fields.present()) continue;
    Taint taint;
    if (auto key = fields.String("key")) {
      if (auto why = CheckLabelKey(*key); !why.empty()) fields.Fail("key", "invalid taint key: " + why);
      taint.key = *key;
    } else {
      fields.Fail("key", "required");
    }
    if (auto value = fields.String("value")) {
      if (auto why = CheckLabelValue(*value); !why.empty()) fields.Fail("value", "invalid taint " + why);
      taint.value = *value;
    }
    if (auto effect = fields.String("effect")) {
      if (auto why = CheckTaintEffect(*effect); !why.empty()) fields.Fail("effect", why);
      taint.effect = *effect;
    } else {
      fields.Fail("effect", "required: NoSchedule, PreferNoSchedule or NoExecute");
    }
    if (!taint.key.empty() && !taint.effect.empty() && !seen.emplace(taint.key, taint.effect).second) {
      fields.FailHere(fmt::format("repeats the taint {}:{}", taint.key, taint.effect));
    }
    fields.Finish();
    out.taints.push_back(std::move(taint));
  }
}

void ParseDataVolumes(const Document* list, bool has_inventory, NodeTemplate& out, ConfigErrors& errors) {
  std::map<int64_t, size_t> first_of_size;  // size -> index of the first volume of that size
  for (size_t i = 0; list && i < list->items.size(); ++i) {
    const std::string path = IndexPath("nodeTemplate.dataVolumes", i);
    Fields fields(&list->items[i], path, errors, Unknown::kIgnore);
    if (!fields.present()) continue;
    storage::TemplateVolume volume;
    volume.volume_type = fields.String("volumetype").value_or("");
    if (auto size = fields.Integer("size", 1, 32768))
      volume.size_gib = *size;
    else if (!fields.Has("size"))
      fields.Fail("size", "required: the disk size in GiB, used to recognise the disk");
    Fields metadata(fields.Map("metadata"), JoinPath(path, "metadata"), errors, Unknown::kIgnore);
    if (auto encrypted = metadata.String("__system__encrypted")) {
      if (*encrypted != "0" && *encrypted != "1") metadata.Fail("__system__encrypted", "must be \"1\" or \"0\"");
      volume.encrypted = *encrypted == "1";
    }
    volume.cmk_id = metadata.String("__system__cmkid").value_or("");
    if (volume.encrypted && volume.cmk_id.empty())
      metadata.Fail("__system__cmkid", "required when __system__encrypted is \"1\"");
    metadata.Finish();
    fields.Finish();
    // A disk is matched to a dataVolume by size alone; two of one size that differ in type or
    // encryption cannot be told apart from inside the VM without the `disks:` inventory.
    if (volume.size_gib > 0 && !has_inventory) {
      auto [it, inserted] = first_of_size.emplace(volume.size_gib, out.data_volumes.size());
      if (!inserted) {
        const storage::TemplateVolume& first = out.data_volumes[it->second];
        if (first.volume_type != volume.volume_type || first.encrypted != volume.encrypted ||
            first.cmk_id != volume.cmk_id) {
          fields.FailHere(
              fmt::format("same size ({} GiB) as dataVolumes[{}] but other attributes: the disks cannot be told "
                          "apart inside the VM; list them under `disks:` by volume id",
                          volume.size_gib, it->second));
        }
      }
    }
    out.data_volumes.push_back(std::move(volume));
  }
}

}  // namespace

void ParseNodeTemplate(const Document* doc, bool has_inventory, NodeTemplate& out, ConfigErrors& errors) {
  Fields tmpl(doc, "nodeTemplate", errors, Unknown::kIgnore);
  if (!tmpl.present()) return;
  {
    Fields runtime(tmpl.Map("runtime"), "nodeTemplate.runtime", errors, Unknown::kIgnore);
    if (auto name = runtime.Enum("name", {"containerd", "docker"})) out.runtime = *name;
    runtime.Finish();
  }
  const Document* extend_doc = tmpl.Map("extendParam");
  ParseExtendParam(Fields(extend_doc, "nodeTemplate.extendParam", errors, Unknown::kIgnore), out);
  ParseLabels(tmpl.Map("k8sTags"), out, errors);
  ParseTaints(tmpl.List("taints"), out, errors);
  ParseDataVolumes(tmpl.List("dataVolumes"), has_inventory, out, errors);

  // The legacy string is read only when `storage` is absent (SPEC §4).
  const Document* legacy = nullptr;
  int legacy_line = 0;
  if (extend_doc != nullptr) {
    for (const auto& [key, value] : extend_doc->members) {
      if (key == "DockerLVMConfigOverride" && !value.is_null()) {
        legacy = &value;
        legacy_line = value.line;
      }
    }
  }
  out.storage = ParseStorage(tmpl.Get("storage"), legacy, legacy_line, out.runtime_is_docker(), errors);
  tmpl.Finish();
}

}  // namespace nodeboot::config
