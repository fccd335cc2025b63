#!/usr/bin/python3
"""Checks every fenced code block of README.md and docs/*.md, so that the documentation cannot
drift from the code it describes.

    check_docs.py --source SRC --build BUILD --work WORK [-v] [DOC.md ...]

Each block is checked by its language (the first word after the opening fence):

  cpp      a plugin (it uses HERALD_PLUGIN) is built as a shared library against sdk/include
           (-std=c++20 -Wall -Wextra -Werror, hidden symbols, -z defs) and loaded with
           `herald plugins --plugin-path`; a program (it has main) is built against host/include,
           linked with the host library and run in a copy of tests/docs/fixture (whose
           company.yaml has the accounts, people and workflow the examples use) under a fixed
           date; anything else is compiled with -fsyntax-only.
  python   run with this Python (the build's `herald` module importable) in a copy of the
           fixture under a fixed date; a block preceded by <!-- fragment --> is only compiled
           (py_compile). A block preceded by <!-- file: PATH --> is also written to the
           document's scratch folder as PATH (a hook or step module its configurations name).
  yaml     parsed. A block whose first line is "# file: NAME" is written to the document's
           scratch folder under that name, and one that starts a configuration (`herald: 1`) is
           checked with `herald validate` there, with the document's other files and the
           plugins its cpp blocks built (in build/, as herald_add_plugin names them); the
           install prefix /opt/herald stands for the build tree, and the credentials it
           references get placeholder values. A part of a configuration (a mapping of its
           top-level keys, such as `inbound:` or `notifiers:`) replaces those sections of
           tests/docs/fixture/company.yaml, and a list of steps becomes a workflow of it; the
           result must pass `herald validate`, with every plugin the documents build. A block
           preceded by <!-- fragment --> is only parsed.
  sh, bash syntax-checked with `bash -n`; every `herald SUBCOMMAND ...` line must name a real
           subcommand (`herald SUBCOMMAND --help` succeeds) and only options that its help
           lists; every scripts/NAME must exist and every build/bin/NAME must be a target.
  console  `$ command` lines as for sh; a command that only reads what it is given (`herald
           text`, `herald --version`) is run and its output must be the lines that follow it.
  json     parsed.
  cmake    run in script mode with the commands a project uses replaced by stubs that record
           them: the block must parse and use only commands a plugin or an embedding project
           needs (the test suite builds samples/plugin and samples/embed for real).
  http     a request line, headers, and a JSON body that parses.
  text     shown verbatim (output, diagrams): it must not be empty.

Any other language, or a block without one, is an error. Errors name DOC:LINE.
"""

import argparse
import csv
import io
import json
import os
import pathlib
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
FRAGMENT = re.compile(r"^\s*<!--\s*fragment\b.*-->\s*$")
FILE_NOTE = re.compile(r"^\s*<!--\s*file:\s*(\S+)\s*-->\s*$")
# The top-level keys of a configuration: a YAML block made of them only is a part of one.
CONFIG_KEYS = {"herald", "store", "plugin_paths", "engine", "accounts", "people", "teams",
               "workflows", "python", "hooks", "inbound", "notifiers", "audit", "secrets"}
# The date the examples run at: the docs' examples are set in late 2026.
FIXED_DATE = "2026-11-30 12:00:00"


class Block:
    def __init__(self, doc, line, lang, text, fragment, file=None):
        self.doc, self.line, self.lang, self.text, self.fragment = doc, line, lang, text, fragment
        self.file = file  # <!-- file: PATH -->: also written to the document's folder as PATH

    @property
    def where(self):
        return f"{self.doc}:{self.line}"


def blocks_of(path, rel):
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info").strip()
        end = i + 1
        while end < len(lines) and not re.match(r"^ *" + re.escape(fence[0]) + "{" +
                                                  str(len(fence)) + r",}\s*$", lines[end]):
            end += 1
        indent = len(m.group("indent"))  # a block inside a list item: its lines lose the indent
        body = [line[indent:] if line[:indent].isspace() else line for line in lines[i + 1:end]]
        prev = i - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        fragment = prev >= 0 and bool(FRAGMENT.match(lines[prev]))
        note = FILE_NOTE.match(lines[prev]) if prev >= 0 else None
        lang = info.split()[0] if info else ""
        blocks.append(Block(rel, i + 1, lang, "\n".join(body) + "\n", fragment,
                            note.group(1) if note else None))
        i = end + 1
    return blocks


class Checker:
    def __init__(self, args):
        self.src = pathlib.Path(args.source).resolve()
        self.build = pathlib.Path(args.build).resolve()
        self.work = pathlib.Path(args.work).resolve()
        self.herald = str(self.build / "bin" / "herald")
        self.plugin_dir = str(self.build / "lib" / "herald" / "plugins")
        self.cxx = args.cxx
        self.verbose = args.verbose
        self.failures = []
        self.counts = {}
        self.help_cache = {}
        self.env = dict(os.environ)
        self.env["HERALD_PLUGIN_DIR"] = self.plugin_dir
        self.env["PYTHONPATH"] = os.pathsep.join(
            [str(self.build / "python")] + ([self.env["PYTHONPATH"]] if self.env.get("PYTHONPATH") else []))
        self.env["PATH"] = str(self.build / "bin") + os.pathsep + self.env.get("PATH", "")
        self.env["LC_ALL"] = "C.UTF-8"
        self.env.pop("TZ", None)
        self.targets = set()
        for cmakelists in self.src.rglob("CMakeLists.txt"):
            top = cmakelists.relative_to(self.src).parts[0]
            if top.startswith(("build", ".")) or cmakelists.is_relative_to(self.build):
                continue
            text = cmakelists.read_text(encoding="utf-8", errors="replace")
            self.targets.update(re.findall(r"add_executable\(\s*([\w.-]+)", text))

    # -- helpers -------------------------------------------------------------------------------

    def fail(self, block, message):
        self.failures.append(f"{block.where}: ```{block.lang or '(no language)'} block: {message}")

    def run(self, command, cwd, timeout=120, stdin=None, env=None):
        return subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True,
                              timeout=timeout, env=env or self.env)

    def fixture(self, name):
        folder = self.work / "run" / name
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(self.src / "tests" / "docs" / "fixture", folder)
        return folder

    def doc_dir(self, block):
        return self.work / "docs" / pathlib.Path(block.doc).stem

    @staticmethod
    def tail(text, lines=25):
        return "\n    ".join(text.strip().splitlines()[-lines:])

    # -- cpp -----------------------------------------------------------------------------------

    def check_cpp(self, block):
        if block.fragment:
            return self.fail(block, "a C++ example must be complete; it is compiled")
        tag = f"{pathlib.Path(block.doc).stem}-{block.line}"
        folder = self.work / "cpp"
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / f"{tag}.cpp"
        source.write_text(block.text, encoding="utf-8")
        flags = [self.cxx, "-std=c++20", "-Wall", "-Wextra", "-Werror"]
        if "HERALD_PLUGIN(" in block.text:
            name = re.search(r'HERALD_PLUGIN\(\s*"([^"]+)"', block.text)
            out = self.work / "plugins" / f"herald_{name.group(1) if name else tag}.so"
            out.parent.mkdir(parents=True, exist_ok=True)
            done = self.run(flags + ["-fPIC", "-shared", "-fvisibility=hidden",
                                     "-fvisibility-inlines-hidden", "-Wl,-z,defs",
                                     "-I", str(self.src / "sdk" / "include"), str(source),
                                     "-o", str(out)], folder)
            if done.returncode != 0:
                return self.fail(block, "the plugin does not compile:\n    " + self.tail(done.stderr))
            done = self.run([self.herald, "plugins", "--plugin-path", str(out)], folder)
            if done.returncode != 0:
                return self.fail(block, "herald does not load the plugin:\n    " +
                                 self.tail(done.stdout + done.stderr))
            # Where the document's own CMake (herald_add_plugin) puts it.
            (self.doc_dir(block) / "build").mkdir(parents=True, exist_ok=True)
            shutil.copy(out, self.doc_dir(block) / "build" / out.name)
        elif re.search(r"\bint\s+main\s*\(", block.text):
            program = folder / tag
            done = self.run(flags + ["-I", str(self.src / "host" / "include"), str(source),
                                     "-L", str(self.build / "lib"), "-lherald_host",
                                     "-Wl,-rpath," + str(self.build / "lib"), "-o", str(program)],
                            folder)
            if done.returncode != 0:
                return self.fail(block, "the program does not compile:\n    " + self.tail(done.stderr))
            done = self.run(["faketime", FIXED_DATE, str(program)], self.fixture(tag))
            if done.returncode != 0:
                return self.fail(block, f"the program exits with {done.returncode}:\n    " +
                                 self.tail(done.stdout + done.stderr))
        else:
            done = self.run(flags + ["-fsyntax-only", "-I", str(self.src / "sdk" / "include"),
                                     "-I", str(self.src / "host" / "include"), str(source)], folder)
            if done.returncode != 0:
                return self.fail(block, "does not compile:\n    " + self.tail(done.stderr))

    # -- python --------------------------------------------------------------------------------

    def check_python(self, block):
        tag = f"{pathlib.Path(block.doc).stem}-{block.line}"
        folder = self.work / "py"
        folder.mkdir(parents=True, exist_ok=True)
        script = folder / f"{tag.replace('-', '_').replace('.', '_')}.py"
        script.write_text(block.text, encoding="utf-8")
        try:
            py_compile.compile(str(script), cfile=str(script) + "c", doraise=True)
        except py_compile.PyCompileError as error:
            return self.fail(block, f"does not compile: {error.msg}")
        if block.file:
            module = self.doc_dir(block) / block.file
            module.parent.mkdir(parents=True, exist_ok=True)
            module.write_text(block.text, encoding="utf-8")
            for package in module.relative_to(self.doc_dir(block)).parents:
                if str(package) != ".":
                    (self.doc_dir(block) / package / "__init__.py").touch()
        if block.fragment:
            return
        if block.doc == "docs/python.md":
            return  # run by tests/python/test_docs.py, with that document's own configuration
        done = self.run(["faketime", FIXED_DATE, sys.executable, str(script)], self.fixture(tag))
        if done.returncode != 0:
            self.fail(block, f"exits with {done.returncode}:\n    " + self.tail(done.stdout + done.stderr))

    # -- yaml ----------------------------------------------------------------------------------

    def check_yaml(self, block):
        try:
            documents = list(yaml.safe_load_all(block.text))
        except yaml.YAMLError as error:
            return self.fail(block, f"does not parse: {error}")
        first = block.text.split("\n", 1)[0]
        m = re.match(r"^# file: (\S+)\s*$", first)
        whole = re.search(r"^herald: 1\b", block.text, re.M) is not None
        part = documents[0] if len(documents) == 1 else None
        if not m and not whole and isinstance(part, dict) and set(part) <= CONFIG_KEYS:
            # A part of a configuration: checked in the fixture's configuration, its own
            # sections replacing the fixture's.
            if block.fragment:
                return
            return self.add_part(block, part)
        if not m and not whole and isinstance(part, list) and part and \
                all(isinstance(step, dict) and "kind" in step for step in part):
            # Steps of a workflow: checked as the steps of a workflow of the fixture's.
            if block.fragment:
                return
            return self.add_part(block, {"workflows": {"example": {"steps": part}}}, merge=True)
        if not m and not whole:
            return
        if not m and block.fragment:
            return
        name = m.group(1) if m else f"config-{block.line}.yaml"
        text = block.text.split("\n", 1)[1] if m else block.text
        text = text.replace("/opt/herald/lib/herald/plugins", self.plugin_dir)
        folder = self.doc_dir(block)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
        if whole and not block.fragment:
            self.pending_configs.append((block, name))

    def add_part(self, block, part, merge=False):
        """Validates `part` in the fixture's configuration: its sections replace the fixture's,
        or with `merge` add to them."""
        config = yaml.safe_load((self.src / "tests" / "docs" / "fixture" / "company.yaml")
                                .read_text(encoding="utf-8"))
        for key, value in part.items():
            if merge and isinstance(config.get(key), dict):
                config[key].update(value)
            else:
                config[key] = value
        config["plugin_paths"] = [self.plugin_dir, str(self.work / "plugins")]
        if "python:" in block.text:
            config.setdefault("python", {"paths": ["."]})
        name = f"part-{block.line}.yaml"
        folder = self.doc_dir(block)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        self.pending_configs.append((block, name))

    def validate_configs(self, doc):
        if not self.pending_configs:
            return
        folder = self.work / "docs" / pathlib.Path(doc).stem
        if any("audit-ed25519.pem" in (folder / n).read_text() for _, n in self.pending_configs):
            subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out",
                            str(folder / "audit-ed25519.pem")], check=True, capture_output=True)
        # Credentials are references: the example's own are given placeholder values here.
        env = dict(self.env)
        for _, name in self.pending_configs:
            text = (folder / name).read_text()
            for variable in re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", text):
                env.setdefault(variable, "placeholder-" + variable.lower())
            for secret in re.findall(r"\$\{file:([^}]+)\}", text):
                path = folder / secret
                if not path.exists() and not secret.endswith(".pem"):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text("placeholder\n")
        for block, name in self.pending_configs:
            done = self.run([self.herald, "validate", name], folder, env=env)
            if done.returncode != 0:
                self.fail(block, "`herald validate` refuses it:\n    " + self.tail(done.stdout + done.stderr))

    # -- shell ---------------------------------------------------------------------------------

    def command_lines(self, text):
        """The logical lines of a shell text: continuations joined, comments dropped."""
        joined = text.replace("\\\n", " ")
        for line in joined.split("\n"):
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            if line:
                yield line

    def help_of(self, words):
        """`herald WORDS --help`, or None when WORDS is not a chain of subcommands (herald then
        prints its own help)."""
        key = tuple(words)
        if key not in self.help_cache:
            done = self.run([self.herald, *words, "--help"], self.work, timeout=30)
            usage = ("Usage: herald " + " ".join(words)).rstrip() + " "
            self.help_cache[key] = done if done.returncode == 0 and usage in done.stdout else None
        return self.help_cache[key]

    def check_herald_command(self, block, command):
        """`herald SUB ... --opt` must name a real subcommand and options it has."""
        words = command.split()
        while words and re.match(r"^[A-Z_]+=", words[0]):
            words.pop(0)
        if not words or not re.match(r"^(\S*/)?herald$", words[0]):
            return
        subcommand = []
        for word in words[1:]:
            if re.match(r"^[a-z][a-z-]*$", word) and not word.endswith((".yaml", ".csv", ".jsonl")):
                subcommand.append(word)
            else:
                break
        # The longest prefix of those words that is a subcommand chain.
        while subcommand and self.help_of(subcommand) is None:
            subcommand.pop()
        if not subcommand:
            if words[1:2] and words[1] in ("--help", "--version", "-h"):
                return
            return self.fail(block, f"`{command}`: herald has no such subcommand")
        # The subcommand's options, and the program's own (--log-level).
        help_text = self.help_of(subcommand).stdout + self.help_of([]).stdout
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", command):
            if option in ("--help",):
                continue
            if not re.search(re.escape(option) + r"(?![a-z0-9-])", help_text):
                self.fail(block, f"`herald {' '.join(subcommand)}` has no option {option}")

    def check_script_paths(self, block, command):
        for script in re.findall(r"(?<![\w./-])(scripts/[\w./-]+)", command):
            if not (self.src / script).exists():
                self.fail(block, f"{script} does not exist")
        for program in re.findall(r"(?<![\w./-])build/bin/([\w.-]+)", command):
            if program not in self.targets:
                self.fail(block, f"build/bin/{program} is not a program of the build")

    def bash_n(self, block, text):
        done = self.run(["bash", "-n"], self.work, stdin=text)
        if done.returncode != 0:
            self.fail(block, "bash -n: " + done.stderr.strip())
            return False
        return True

    def check_sh(self, block):
        if not self.bash_n(block, block.text):
            return
        for line in self.command_lines(block.text):
            for command in re.split(r"\s*(?:&&|\|\||;|\|)\s*", line):
                self.check_herald_command(block, command)
                self.check_script_paths(block, command)

    def check_console(self, block):
        lines = block.text.rstrip("\n").split("\n")
        i, commands = 0, 0
        while i < len(lines):
            if not lines[i].startswith("$ "):
                if commands == 0:
                    return self.fail(block, "a console block starts with a `$ ` command line")
                i += 1
                continue
            command = lines[i][2:]
            output = []
            i += 1
            while i < len(lines) and not lines[i].startswith("$ "):
                output.append(lines[i])
                i += 1
            commands += 1
            if not self.bash_n(block, command + "\n"):
                continue
            for part in re.split(r"\s*(?:&&|\|\||;|\|)\s*", command):
                self.check_herald_command(block, part)
                self.check_script_paths(block, part)
            # Run what only reads its input: echo/printf into `herald text`, or --version.
            parts = [p.strip() for p in command.split("|")]
            readers = all(re.match(r"^(echo|printf) ", p) for p in parts[:-1])
            last = parts[-1].split()
            if readers and last[:1] == ["herald"] and (last[1:2] == ["text"] or last[1:] == ["--version"]):
                done = self.run(["bash", "-c", command], self.work, timeout=30)
                if done.returncode != 0:
                    self.fail(block, f"`{command}` exits with {done.returncode}: {done.stderr.strip()}")
                elif done.stdout.rstrip("\n").split("\n") != output:
                    self.fail(block, f"`{command}` prints\n    " + self.tail(done.stdout) +
                              "\n  and the block shows\n    " + "\n    ".join(output))

    # -- the rest ------------------------------------------------------------------------------

    def check_json(self, block):
        try:
            json.loads(block.text)
        except json.JSONDecodeError as error:
            self.fail(block, f"does not parse: {error}")

    def check_cmake(self, block):
        allowed = ["cmake_minimum_required", "project", "set", "find_package", "herald_add_plugin",
                   "add_executable", "add_library", "target_link_libraries",
                   "target_compile_options", "target_include_directories"]
        stubs = "".join(f"function({name})\n  file(APPEND \"${{LOG}}\" \"{name}\\n\")\nendfunction()\n"
                        for name in allowed if name not in ("set",))
        folder = self.work / "cmake"
        folder.mkdir(parents=True, exist_ok=True)
        script = folder / f"{pathlib.Path(block.doc).stem}-{block.line}.cmake"
        log = folder / (script.name + ".log")
        log.write_text("")
        # Every command of the block must be one of the stubs (or set): any other is reported.
        used = set(re.findall(r"^\s*([A-Za-z_]\w*)\s*\(", block.text, re.M))
        unknown = sorted(used - set(allowed))
        if unknown:
            return self.fail(block, "uses commands the checker does not know: " + ", ".join(unknown))
        script.write_text(f"set(LOG \"{log}\")\n" + stubs + block.text, encoding="utf-8")
        done = self.run(["cmake", "-P", str(script)], folder)
        if done.returncode != 0:
            self.fail(block, "cmake: " + self.tail(done.stderr))
        if "herald_add_plugin" in used or "target_link_libraries" in used:
            if "find_package" not in used:
                self.fail(block, "uses Herald without find_package(Herald)")

    def check_http(self, block):
        lines = block.text.split("\n")
        if not re.match(r"^(GET|POST|PUT|PATCH|DELETE) \S+$", lines[0]):
            return self.fail(block, "the first line is not an HTTP request line")
        i = 1
        while i < len(lines) and lines[i].strip():
            if not re.match(r"^[A-Za-z][A-Za-z0-9-]*: \S", lines[i]):
                return self.fail(block, f"not a header: {lines[i]!r}")
            i += 1
        body = []
        i += 1
        while i < len(lines) and lines[i].strip():
            body.append(lines[i])
            i += 1
        if body:
            try:
                json.loads("\n".join(body))
            except json.JSONDecodeError as error:
                self.fail(block, f"the body is not JSON: {error}")

    def check_csv(self, block):
        rows = list(csv.reader(io.StringIO(block.text), strict=True))
        if not rows or any(len(row) != len(rows[0]) for row in rows):
            self.fail(block, "every row of a CSV example has as many fields as its header")

    def check_text(self, block):
        if not block.text.strip():
            self.fail(block, "empty")

    CHECKS = {"cpp": "check_cpp", "python": "check_python", "yaml": "check_yaml",
              "sh": "check_sh", "bash": "check_sh", "console": "check_console",
              "json": "check_json", "cmake": "check_cmake", "http": "check_http",
              "text": "check_text", "csv": "check_csv"}

    def check_doc(self, path):
        rel = str(path.relative_to(self.src))
        self.pending_configs = []
        for block in blocks_of(path, rel):
            if self.plugin_pass != (block.lang == "cpp" and "HERALD_PLUGIN(" in block.text):
                continue
            method = self.CHECKS.get(block.lang)
            if method is None:
                self.fail(block, "unknown language; every block must say what it is (cpp, python, "
                          "yaml, sh, console, json, cmake, http or text)")
                continue
            before = len(self.failures)
            try:
                getattr(self, method)(block)
            except subprocess.TimeoutExpired as error:
                self.fail(block, f"timed out: {error.cmd}")
            self.counts[block.lang] = self.counts.get(block.lang, 0) + 1
            if self.verbose:
                print(f"{'ok  ' if len(self.failures) == before else 'FAIL'} {block.where} {block.lang}")
        if not self.plugin_pass:
            self.validate_configs(rel)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="the source tree")
    parser.add_argument("--build", required=True, help="the build tree (bin/herald, lib/)")
    parser.add_argument("--work", required=True, help="a scratch folder (emptied)")
    parser.add_argument("--cxx", default=os.environ.get("CXX", "c++"))
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("docs", nargs="*", help="documents to check (default: README.md, docs/*.md)")
    args = parser.parse_args()
    checker = Checker(args)
    for needed in (checker.herald, checker.plugin_dir):
        if not os.path.exists(needed):
            print(f"{needed} is missing: build herald, its plugins and herald_python first",
                  file=sys.stderr)
            return 2
    if checker.work.exists():
        shutil.rmtree(checker.work)
    checker.work.mkdir(parents=True)
    docs = [pathlib.Path(d).resolve() for d in args.docs] or \
        [checker.src / "README.md"] + sorted((checker.src / "docs").glob("*.md"))
    # The plugins first: every document's configurations may load the plugins the guides build.
    for plugin_pass in (True, False):
        checker.plugin_pass = plugin_pass
        for doc in docs:
            checker.check_doc(doc)
    summary = ", ".join(f"{lang} {n}" for lang, n in sorted(checker.counts.items()))
    print(f"{sum(checker.counts.values())} blocks in {len(docs)} documents ({summary})")
    for failure in checker.failures:
        print("FAIL " + failure, file=sys.stderr)
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
