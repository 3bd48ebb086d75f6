package fr.cartable.app.ui

import androidx.compose.runtime.Composable
import fr.cartable.app.state.AppModel
import fr.cartable.app.state.LoginModel
import fr.cartable.app.state.Screen
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch

/** The screens the menu offers, in the portal's order. */
val AVAILABLE_SCREENS = listOf(Screen.Planning)

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

/** The screen [AppModel.screen] names. */
@Composable
fun ScreenContent(model: AppModel, scope: CoroutineScope) {
    when (model.screen) {
        Screen.Planning -> PlanningScreen(model.planning.state(), planningActions(model, scope))
        else -> PlanningScreen(model.planning.state(), planningActions(model, scope))
    }
}
