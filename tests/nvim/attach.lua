-- A headless Neovim (Debian's, 0.7 or later) attaches its built-in LSP client
-- to `infrac lsp` on a file with an error and reads the diagnostics. Run by
-- tests/nvim/run.sh; INFRAC_BIN and INFRA_FILE come from the environment.
-- Exits 0 when the diagnostic matches `infrac check`'s, 1 otherwise.
local bin = os.getenv('INFRAC_BIN')
local file = os.getenv('INFRA_FILE')
local function finish(ok, msg)
  io.stdout:write((ok and 'PASS: ' or 'FAIL: ') .. msg .. '\n')
  io.stdout:flush()
  vim.cmd(ok and 'qall!' or 'cquit! 1')
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local client = vim.lsp.start_client({
  name = 'infrac',
  cmd = { bin, 'lsp' },
  root_dir = vim.fn.fnamemodify(file, ':h'),
})
if not client then
  finish(false, 'the client did not start')
end
vim.lsp.buf_attach_client(buf, client)

local got = vim.wait(20000, function()
  return #vim.diagnostic.get(buf) > 0
end, 50)
if not got then
  finish(false, 'no diagnostics within 20 s')
end
local d = vim.diagnostic.get(buf)[1]
local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
local where = string.format('%d:%d-%d:%d', d.lnum, d.col, d.end_lnum, d.end_col)
local summary = string.format('%s %s %s [%s]', where, vim.diagnostic.severity[d.severity], d.message, tostring(code))
if code == 'REF001' and where == '1:17-1:21' and d.severity == vim.diagnostic.severity.ERROR
    and d.message:find("did you mean 'main'", 1, true) then
  vim.lsp.stop_client(client)
  finish(true, summary)
else
  finish(false, summary)
end
