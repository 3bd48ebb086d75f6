package fr.cartable.app.ui

import androidx.compose.runtime.Composable
import fr.cartable.app.state.AppModel
import fr.cartable.app.state.LoginModel
import fr.cartable.app.state.Screen
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch

/** The screens the menu offers, in the portal's order. */
val AVAILABLE_SCREENS = Screen.entries.toList()

fun LoginModel.state() = LoginState(serverUrl, login, password, busy, error, mustChangePassword, newPassword, newPasswordAgain)

fun loginActions(model: AppModel, scope: CoroutineScope) = LoginActions(
    onServerUrl = { model.login.serverUrl = it },
    onLogin = { model.login.login = it },
    onPassword = { model.login.password = it },
    onSubmit = { scope.launch { model.login.submit() } },
    onNewPassword = { model.login.newPassword = it },
    onNewPasswordAgain = { model.login.newPasswordAgain = it },
    onChangePassword = { scope.launch { model.login.changePassword() } },
)

fun planningActions(model: AppModel, scope: CoroutineScope): PlanningActions {
    val p = model.planning
    return PlanningActions(
        onChild = { id -> scope.launch { p.selectChild(id) } },
        onPreviousWeek = { scope.launch { p.previousWeek() } },
        onNextWeek = { scope.launch { p.nextWeek() } },
        onTap = { cell -> scope.launch { p.tap(cell) } },
        onInsist = { scope.launch { p.insist() } },
        onConfirmCancel = { scope.launch { p.confirmBilledCancel() } },
        onDismiss = { p.dismissDialogs() },
    )
}

fun periodActions(model: AppModel, scope: CoroutineScope): PeriodActions {
    val p = model.period
    return PeriodActions(
        onChild = { p.toggleChild(it) },
        onFrom = { p.from = it },
        onTo = { p.to = it },
        onDay = { a, d -> p.toggleDay(a, d) },
        onCancelling = { p.cancelling = it },
        onSubmit = { scope.launch { p.submit() } },
    )
}

fun absenceActions(model: AppModel, scope: CoroutineScope): AbsenceActions {
    val a = model.absences
    return AbsenceActions(
        onChild = { a.childId = it },
        onFrom = { a.from = it },
        onTo = { a.to = it },
        onReason = { a.reason = it },
        onSubmit = { scope.launch { a.submit() } },
        onPickDocument = { scope.launch { a.pickDocument() } },
        onRemoveDocument = { a.removeDocument() },
    )
}

fun dossierActions(model: AppModel, scope: CoroutineScope): DossierActions {
    val d = model.dossier
    return DossierActions(
        onEdit = { d.edit(it) },
        onValue = { d.changeValue(it) },
        onSave = { scope.launch { d.saveEdit() } },
        onCancel = { d.cancelEdit() },
        onSubmit = { scope.launch { d.submit() } },
        onKeep = { c, v -> scope.launch { d.keep(c, v) } },
        onAdd = { d.startAdding(it) },
        onNew = { d.changeNew(it) },
        onSaveNew = { scope.launch { d.saveNew() } },
        onCancelNew = { d.cancelAdding() },
    )
}

fun documentsActions(model: AppModel, scope: CoroutineScope): DocumentsActions {
    val d = model.documents
    return DocumentsActions(
        onKind = { d.kind = it },
        onChild = { d.childId = it },
        onValidUntil = { d.validUntil = it },
        onPick = { scope.launch { d.pick() } },
        onQueue = {
            scope.launch {
                d.queue()
                model.refreshStatus()
                if (model.online) model.sync()
            }
        },
        onRemove = { scope.launch { d.remove(it) } },
    )
}

fun accountActions(model: AppModel, scope: CoroutineScope): AccountActions {
    val a = model.account
    return AccountActions(
        onRevoke = { scope.launch { a.revoke(it) } },
        onCurrentPassword = { a.currentPassword = it },
        onNewPassword = { a.newPassword = it },
        onNewPasswordAgain = { a.newPasswordAgain = it },
        onChangePassword = { scope.launch { a.changePassword() } },
        onExport = { scope.launch { a.export() } },
        onLogout = { a.confirmLogout = true },
        onConfirmLogout = { scope.launch { a.logout() } },
        onDismiss = { a.confirmLogout = false },
    )
}

/** The screen [AppModel.screen] names. */
@Composable
fun ScreenContent(model: AppModel, scope: CoroutineScope) {
    when (model.screen) {
        Screen.Planning -> PlanningScreen(model.planning.state(), planningActions(model, scope))
        Screen.Period -> PeriodScreen(model.period.state(), periodActions(model, scope))
        Screen.Absences -> AbsenceScreen(model.absences.state(), absenceActions(model, scope))
        Screen.Invoices -> InvoicesScreen(model.invoices.balance, model.invoices.invoices) { n ->
            scope.launch { model.invoices.openPdf(n) }
        }
        Screen.Dossier -> DossierScreen(model.dossier.state(), dossierActions(model, scope))
        Screen.Documents -> DocumentsScreen(model.documents.state(), documentsActions(model, scope))
        Screen.Information -> InformationScreen(model.information.page, model.information.opened) { id ->
            scope.launch { model.information.open(id) }
        }
        Screen.Downloads -> DownloadsScreen(model.downloads.downloads) { id -> scope.launch { model.downloads.open(id) } }
        Screen.Account -> AccountScreen(model.account.state(model.pendingChanges), accountActions(model, scope))
    }
}
